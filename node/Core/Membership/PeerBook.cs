using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Membership;

/// <summary>
/// The bounded set of peers this node knows, persisted as peers.json. First-hand sources (seeds, mDNS, successful
/// connections) add and refresh entries; second-hand PEX entries go through <see cref="MergePex"/> with caps and
/// sanity checks. When full, the least useful entry is evicted (<see cref="Usefulness"/>). Thread-safe.
/// </summary>
public sealed partial class PeerBook
{
    private readonly Dictionary<PeerId, PeerRecord> _peers = [];
    private readonly Lock _lock = new();

    /// <summary>Entries whose only source is PEX and entries whose only source is mDNS, kept with every write to
    /// <see cref="_peers"/> (<see cref="Put"/>, <see cref="Drop"/>): their caps are checked on every add, and a scan of
    /// the whole book per PeerList entry was 1.6 % of a 1,000-node netsim run's CPU. Under _lock.</summary>
    private int _pexOnly;
    private int _mdnsOnly;
    private long _firstAddressVersion;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PeerBook(PeerId self, TimeProvider time, PeerBookOptions? options = null, ILogger<PeerBook>? logger = null)
    {
        Self = self;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Options = options ?? PeerBookOptions.Default;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (Options.Capacity < 1 || Options.MaxAddressesPerPeer < 1 || Options.MaxPexEntries < 0 || Options.MaxMdnsEntries < 0)
        {
            throw new ArgumentException("peer book options need Capacity ≥ 1, MaxAddressesPerPeer ≥ 1 and non-negative caps", nameof(options));
        }
    }

    /// <summary>This node's own id: never stored.</summary>
    public PeerId Self { get; }

    public PeerBookOptions Options { get; }

    /// <summary>
    /// Counts the writes that gave an entry a first address it did not have (a new entry with an address, or a changed
    /// <see cref="PeerRecord.Addresses"/>[0]); not changed by refreshes, failures or removals. The dial loop turns
    /// entries' first addresses into dial targets: while this stays the same (and the peers it skipped as connected
    /// still are), another pass over the book would add nothing.
    /// </summary>
    public long FirstAddressVersion
    {
        get
        {
            lock (_lock)
            {
                return _firstAddressVersion;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _peers.Count;
            }
        }
    }

    public bool TryGet(PeerId id, out PeerRecord record)
    {
        lock (_lock)
        {
            return _peers.TryGetValue(id, out record!);
        }
    }

    /// <summary>A consistent copy of all entries, most useful first.</summary>
    public IReadOnlyList<PeerRecord> Snapshot() => Snapshot(static _ => true);

    /// <summary>A consistent copy of the entries <paramref name="where"/> accepts, most useful first (in the same
    /// order as in <see cref="Snapshot()"/>); only those are sorted. <paramref name="where"/> runs under the book's
    /// lock: it must not take a lock of its own.</summary>
    public IReadOnlyList<PeerRecord> Snapshot(Func<PeerRecord, bool> where)
    {
        ArgumentNullException.ThrowIfNull(where);
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            return [.. _peers.Values.Where(where).OrderByDescending(r => Usefulness(r, now, Options.FailurePenalty))];
        }
    }

    /// <summary>
    /// Records first-hand knowledge of a peer (seed configuration, an mDNS announcement, a handshake): adds or
    /// refreshes the entry, puts <paramref name="addresses"/> first, and marks it seen unless it is only a seed.
    /// Returns false if the peer is ourselves or the book is full of more useful entries.
    /// </summary>
    public bool Observe(PeerId id, IReadOnlyList<PeerAddress> addresses, PeerSources source, string? meshId = null, byte[]? publicKey = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (id == Self || id.Value.Length == 0 || source == PeerSources.None)
        {
            return false;
        }

        if (!PexSanity.KeyMatchesId(id, publicKey))
        {
            throw new ArgumentException($"public key does not match peer id {id}", nameof(publicKey));
        }

        DateTimeOffset now = _time.GetUtcNow();
        // A seed entry is configuration, not a sign of life; everything else is.
        DateTimeOffset? seen = source == PeerSources.Seed ? null : now;
        lock (_lock)
        {
            if (_peers.TryGetValue(id, out PeerRecord? existing))
            {
                Put(existing with
                {
                    Addresses = MergeAddresses(addresses, existing.Addresses),
                    Sources = existing.Sources | source,
                    MeshId = meshId ?? existing.MeshId,
                    PublicKey = existing.PublicKey ?? publicKey,
                    LastSeen = seen ?? existing.LastSeen,
                });
                return true;
            }

            var record = new PeerRecord
            {
                Id = id,
                PublicKey = publicKey,
                Addresses = MergeAddresses(addresses, []),
                Sources = source,
                MeshId = meshId,
                AddedAt = now,
                LastSeen = seen,
            };
            if (source == PeerSources.Mdns && CountOnly(PeerSources.Mdns) >= Options.MaxMdnsEntries)
            {
                return false;
            }

            return TryInsert(record, now);
        }
    }

    /// <summary>A connection to the peer succeeded: it is alive, its failure count resets.</summary>
    public void RecordSuccess(PeerId id, PeerAddress? via = null)
    {
        lock (_lock)
        {
            if (_peers.TryGetValue(id, out PeerRecord? r))
            {
                Put(r with
                {
                    Failures = 0,
                    LastSeen = _time.GetUtcNow(),
                    Sources = r.Sources | PeerSources.Direct,
                    Addresses = via is { } a ? MergeAddresses([a], r.Addresses) : r.Addresses,
                });
            }
        }
    }

    /// <summary>A connection attempt failed; returns the new consecutive failure count (0 if unknown).</summary>
    public int RecordFailure(PeerId id)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(id, out PeerRecord? r))
            {
                return 0;
            }

            int failures = r.Failures == int.MaxValue ? r.Failures : r.Failures + 1;
            Put(r with { Failures = failures });
            return failures;
        }
    }

    public bool Remove(PeerId id)
    {
        lock (_lock)
        {
            return Drop(id);
        }
    }

    private IReadOnlyList<PeerAddress> MergeAddresses(IReadOnlyList<PeerAddress> first, IReadOnlyList<PeerAddress> then) =>
        [.. first.Concat(then).Distinct().Take(Options.MaxAddressesPerPeer)];

    /// <summary>Entries whose only source is <paramref name="source"/> (PEX or mDNS). Under _lock.</summary>
    private int CountOnly(PeerSources source) => source switch
    {
        PeerSources.Pex => _pexOnly,
        PeerSources.Mdns => _mdnsOnly,
        _ => _peers.Values.Count(r => r.Sources == source),
    };

    /// <summary>Adds or replaces an entry, keeping <see cref="CountOnly"/>'s counts. Under _lock.</summary>
    private void Put(PeerRecord record)
    {
        if (_peers.TryGetValue(record.Id, out PeerRecord? old))
        {
            CountSources(old.Sources, -1);
        }

        if (record.Addresses.Count > 0 && (old is null || old.Addresses.Count == 0 || old.Addresses[0] != record.Addresses[0]))
        {
            _firstAddressVersion++;
        }

        _peers[record.Id] = record;
        CountSources(record.Sources, +1);
    }

    /// <summary>Removes an entry, keeping <see cref="CountOnly"/>'s counts. Under _lock.</summary>
    private bool Drop(PeerId id)
    {
        if (!_peers.Remove(id, out PeerRecord? old))
        {
            return false;
        }

        CountSources(old.Sources, -1);
        return true;
    }

    private void CountSources(PeerSources sources, int change)
    {
        if (sources == PeerSources.Pex)
        {
            _pexOnly += change;
        }
        else if (sources == PeerSources.Mdns)
        {
            _mdnsOnly += change;
        }
    }
}
