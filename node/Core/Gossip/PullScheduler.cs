using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Gossip;

/// <summary>Limits of the pull scheduler.</summary>
public sealed record PullOptions
{
    public static readonly PullOptions Default = new();

    /// <summary>
    /// Pulls in flight at once. Each pull holds at most one delta's chunks in memory; 4 keeps a 2-core node's
    /// verification busy while bounding memory to 4 deltas.
    /// </summary>
    public int MaxConcurrent { get; init; } = 4;

    /// <summary>Announced-but-not-yet-pulled deltas remembered; beyond this, new announcements are dropped (a peer
    /// re-announces every round, so nothing is lost for long).</summary>
    public int MaxPending { get; init; } = 1024;

    /// <summary>Announcers remembered per delta, as fallbacks when the current source stalls.</summary>
    public int MaxAnnouncersPerDelta { get; init; } = 8;

    /// <summary>A pull that makes no progress for this long moves to the next announcer (resuming where it
    /// stopped). 10 s is ~100 chunks of 1 MiB on a slow 100 Mbit/s link, so only a really stuck source trips it.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sources tried before a delta is given up (until it is announced again).</summary>
    public int MaxAttempts { get; init; } = 6;
}

/// <summary>What the scheduler asks the gossip loop to do: request <see cref="ContentId"/> from <see cref="Peer"/>.
/// <see cref="Resume"/> is true when earlier chunks were already received (ask only for the missing ones).</summary>
public readonly record struct PullRequest(string ContentId, PeerId Peer, bool Resume);

/// <summary>
/// Content-addressed pull: decides which announced delta to download from which peer, so that every delta is
/// downloaded once (wire amplification ≈ 1) and a stalled or vanished source is replaced by another announcer
/// without starting over. Pure state machine: the caller passes the time and performs the returned requests.
/// Not thread-safe; the gossip loop owns it.
/// </summary>
public sealed class PullScheduler
{
    private readonly PullOptions _options;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly Queue<string> _doneOrder = new();

    public PullScheduler(PullOptions? options = null) => _options = options ?? PullOptions.Default;

    /// <summary>Deltas being downloaded now.</summary>
    public int InFlight { get; private set; }

    /// <summary>Deltas known (announced, in flight or waiting).</summary>
    public int Pending => _entries.Count;

    /// <summary>True while the delta is announced and not finished or given up (waiting or being pulled).</summary>
    public bool IsKnown(string contentId) => _entries.ContainsKey(contentId);

    /// <summary>True while a source is assigned to the delta (a pull is in flight).</summary>
    public bool IsPulling(string contentId) => _entries.TryGetValue(contentId, out Entry? entry) && entry.Source is not null;

    /// <summary>True if the delta was already completed (or rejected) here; announcements of it are ignored.</summary>
    public bool IsDone(string contentId) => _done.Contains(contentId);

    /// <summary>A peer announced a delta. Returns the requests to start now (at most one).</summary>
    public IReadOnlyList<PullRequest> OnAnnounced(string contentId, PeerId peer, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentId);
        if (_done.Contains(contentId))
        {
            return [];
        }

        if (!_entries.TryGetValue(contentId, out Entry? entry))
        {
            if (_entries.Count >= _options.MaxPending)
            {
                return [];
            }

            entry = new Entry(contentId);
            _entries.Add(contentId, entry);
        }

        if (!entry.Announcers.Contains(peer) && entry.Announcers.Count < _options.MaxAnnouncersPerDelta && !entry.Failed.Contains(peer))
        {
            entry.Announcers.Add(peer);
        }

        return StartWaiting(now);
    }

    /// <summary>Bytes of the delta arrived: the pull is alive.</summary>
    public void OnProgress(string contentId, DateTimeOffset now)
    {
        if (_entries.TryGetValue(contentId, out Entry? entry) && entry.Source is not null)
        {
            entry.LastProgress = now;
            entry.Progressed = true;
        }
    }

    /// <summary>The delta was received and verified, or was rejected for good (bad signature, stale): never pull it
    /// again. Returns requests for waiting deltas that can start now.</summary>
    public IReadOnlyList<PullRequest> OnFinished(string contentId, DateTimeOffset now)
    {
        if (_entries.Remove(contentId, out Entry? entry) && entry.Source is not null)
        {
            InFlight--;
        }

        MarkDone(contentId);
        return StartWaiting(now);
    }

    /// <summary>The current source failed (bad chunk, refused, disconnected): try the next announcer, resuming.</summary>
    public IReadOnlyList<PullRequest> OnSourceFailed(string contentId, PeerId peer, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(contentId, out Entry? entry) || entry.Source != peer)
        {
            return [];
        }

        return SwitchSource(entry, now).Concat(StartWaiting(now)).ToArray();
    }

    /// <summary>A peer went away: every pull it served moves on, and it is forgotten as an announcer.</summary>
    public IReadOnlyList<PullRequest> OnPeerGone(PeerId peer, DateTimeOffset now)
    {
        var requests = new List<PullRequest>();
        foreach (Entry entry in _entries.Values.ToArray())
        {
            entry.Announcers.Remove(peer);
            if (entry.Source == peer)
            {
                requests.AddRange(SwitchSource(entry, now));
            }
        }

        requests.AddRange(StartWaiting(now));
        return requests;
    }

    /// <summary>Periodic check: stalled pulls move to another announcer.</summary>
    public IReadOnlyList<PullRequest> OnTick(DateTimeOffset now)
    {
        var requests = new List<PullRequest>();
        foreach (Entry entry in _entries.Values.ToArray())
        {
            if (entry.Source is not null && now - entry.LastProgress >= _options.StallTimeout)
            {
                requests.AddRange(SwitchSource(entry, now));
            }
        }

        requests.AddRange(StartWaiting(now));
        return requests;
    }

    private List<PullRequest> SwitchSource(Entry entry, DateTimeOffset now)
    {
        PeerId failed = entry.Source!.Value;
        entry.Failed.Add(failed);
        entry.Announcers.Remove(failed);
        entry.Source = null;
        InFlight--;
        if (entry.Attempts >= _options.MaxAttempts || entry.Announcers.Count == 0)
        {
            // Nobody left to ask: forget it (not "done": a later announcement starts it again).
            _entries.Remove(entry.ContentId);
            return [];
        }

        return Start(entry, now) is { } request ? [request] : [];
    }

    private List<PullRequest> StartWaiting(DateTimeOffset now)
    {
        var requests = new List<PullRequest>();
        if (InFlight >= _options.MaxConcurrent)
        {
            return requests;
        }

        foreach (Entry entry in _entries.Values)
        {
            if (InFlight >= _options.MaxConcurrent)
            {
                break;
            }

            if (entry.Source is null && entry.Announcers.Count > 0 && Start(entry, now) is { } request)
            {
                requests.Add(request);
            }
        }

        return requests;
    }

    private PullRequest? Start(Entry entry, DateTimeOffset now)
    {
        if (InFlight >= _options.MaxConcurrent || entry.Announcers.Count == 0)
        {
            return null;
        }

        PeerId source = entry.Announcers[0];
        entry.Source = source;
        entry.Attempts++;
        entry.LastProgress = now;
        bool resume = entry.Progressed;
        InFlight++;
        return new PullRequest(entry.ContentId, source, resume);
    }

    private void MarkDone(string contentId)
    {
        // Remember finished ids so re-announcements are ignored; bounded (oldest forgotten first). Forgetting is
        // safe: the per-origin sequence check rejects an old delta before any chunk is downloaded.
        if (_done.Add(contentId))
        {
            _doneOrder.Enqueue(contentId);
            while (_doneOrder.Count > 4 * _options.MaxPending)
            {
                _done.Remove(_doneOrder.Dequeue());
            }
        }
    }

    private sealed class Entry(string contentId)
    {
        public string ContentId { get; } = contentId;

        public List<PeerId> Announcers { get; } = [];

        public HashSet<PeerId> Failed { get; } = [];

        public PeerId? Source { get; set; }

        public DateTimeOffset LastProgress { get; set; }

        public bool Progressed { get; set; }

        public int Attempts { get; set; }
    }
}
