using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

/// <summary>One entry of a partial view: a peer and how many shuffle cycles ago its entry was created by that peer.</summary>
public readonly record struct ViewEntry(PeerId Peer, int Age);

/// <summary>A shuffle this node starts: send <see cref="Offer"/> to <see cref="Target"/>, hand its reply to
/// <see cref="PeerSampler.OnReply"/>.</summary>
public sealed record ShuffleRequest(PeerId Target, IReadOnlyList<ViewEntry> Offer);

/// <summary>
/// Peer sampling by enhanced shuffling, Cyclon (Voulgaris, Gavidia &amp; van Steen, J. Network Syst. Manage. 2005): a
/// bounded partial view of <see cref="PeerSamplingOptions.ViewSize"/> peers that stays connected, with in-degrees
/// close to the view size, under joins and churn, without any node knowing the full membership. Each cycle a node
/// ages its entries, shuffles with its oldest peer (removed from the view, so a dead peer is forgotten within about c
/// cycles) and swaps up to <see cref="PeerSamplingOptions.ShuffleLength"/> entries. Seeds, mDNS and peer exchange feed
/// <see cref="Add"/>. Sans-IO and seeded: the caller carries the offers over the wire and drives the cycles.
/// Not thread-safe.
/// </summary>
public sealed class PeerSampler
{
    private readonly PeerId _self;
    private readonly PeerSamplingOptions _options;
    private readonly Random _random;
    private readonly List<ViewEntry> _view = [];
    private (PeerId Target, HashSet<PeerId> Sent)? _pending;
    private (PeerId Target, HashSet<PeerId> Sent)? _exploring;

    public PeerSampler(PeerId self, PeerSamplingOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _self = self;
        _options = options;
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The partial view (at most <see cref="PeerSamplingOptions.ViewSize"/> distinct peers, never this node).</summary>
    public IReadOnlyList<ViewEntry> View => _view;

    /// <summary>Adds a peer heard of (seed, mDNS, peer exchange) if the view has room; false if it was not added.</summary>
    public bool Add(PeerId peer)
    {
        if (peer == _self || _view.Count >= _options.ViewSize || Contains(peer))
        {
            return false;
        }

        _view.Add(new ViewEntry(peer, 0));
        return true;
    }

    /// <summary>A peer is unreachable (dial failed, shuffle unanswered): its entry goes.</summary>
    public void Remove(PeerId peer) => _view.RemoveAll(e => e.Peer == peer);

    /// <summary>Up to <paramref name="count"/> distinct peers of the view, uniformly at random (gossip targets).</summary>
    public IReadOnlyList<PeerId> Sample(int count)
    {
        PeerId[] peers = _view.Select(e => e.Peer).ToArray();
        _random.Shuffle(peers);
        return peers.Take(Math.Max(0, count)).ToArray();
    }

    /// <summary>
    /// Starts a cycle: every entry ages by one, the oldest peer is the target and leaves the view (its slot is filled
    /// by the reply), and the offer is this node (age 0) plus up to l − 1 random other entries. Null when the view is
    /// empty.
    /// </summary>
    public ShuffleRequest? StartShuffle()
    {
        if (_view.Count == 0)
        {
            return null;
        }

        for (int i = 0; i < _view.Count; i++)
        {
            _view[i] = _view[i] with { Age = _view[i].Age + 1 };
        }

        ViewEntry oldest = _view.MaxBy(e => e.Age);
        _view.Remove(oldest);
        List<ViewEntry> offer = [new ViewEntry(_self, 0), .. RandomSubset(_options.ShuffleLength - 1)];
        _pending = (oldest.Peer, offer.Skip(1).Select(e => e.Peer).ToHashSet());
        return new ShuffleRequest(oldest.Peer, offer);
    }

    /// <summary>
    /// Starts an exploration: a shuffle with <paramref name="target"/>, a known peer outside the view, offering this node
    /// (age 0) plus up to l − 1 random entries of the view. Unlike <see cref="StartShuffle"/> nothing ages and nothing
    /// leaves the view (this is not a cycle, and the target was never in it); the reply replaces the entries offered,
    /// as a cycle's does. Cyclon alone cannot join two overlays whose views no longer name each other (a partition
    /// that outlasted a few cycles): each view only learns from peers it already holds. One exploration may be pending
    /// next to the cycle's own shuffle; a newer one replaces it.
    /// </summary>
    public ShuffleRequest Explore(PeerId target)
    {
        List<ViewEntry> offer = [new ViewEntry(_self, 0), .. RandomSubset(_options.ShuffleLength - 1)];
        _exploring = (target, offer.Skip(1).Select(e => e.Peer).ToHashSet());
        return new ShuffleRequest(target, offer);
    }

    /// <summary>
    /// Answers a shuffle from <paramref name="from"/>: replies with up to l random entries of this view and merges the
    /// offer into the slots those leave. The offer is untrusted: only its first l entries are read.
    /// </summary>
    public IReadOnlyList<ViewEntry> OnShuffle(PeerId from, IReadOnlyList<ViewEntry> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        ViewEntry[] reply = RandomSubset(_options.ShuffleLength).ToArray();
        Merge(offered, reply.Select(e => e.Peer).ToHashSet());
        return reply;
    }

    /// <summary>The target of the last <see cref="StartShuffle"/> (or <see cref="Explore"/>) replied: its entries fill the
    /// empty slots first, then replace the entries that were offered to it. A reply from anyone else is ignored.
    /// Returns whether the reply answered an exploration.</summary>
    public bool OnReply(PeerId from, IReadOnlyList<ViewEntry> received)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (_pending is { } pending && pending.Target == from)
        {
            _pending = null;
            Merge(received, pending.Sent);
            return false;
        }

        if (_exploring is { } exploring && exploring.Target == from)
        {
            _exploring = null;
            Merge(received, exploring.Sent);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Cyclon's merge: skip this node and peers already in the view; use empty slots first, then replace entries in
    /// <paramref name="replaceable"/> (those sent to the other side, so the two views swap them).
    /// </summary>
    private void Merge(IReadOnlyList<ViewEntry> incoming, HashSet<PeerId> replaceable)
    {
        foreach (ViewEntry entry in incoming.Take(_options.ShuffleLength))
        {
            if (entry.Peer == _self || Contains(entry.Peer))
            {
                continue;
            }

            // An age from the wire is a hint: bounded, so a peer cannot make its entries look fresh forever or
            // overflow the counter.
            var fresh = new ViewEntry(entry.Peer, Math.Clamp(entry.Age, 0, MaxAge));
            if (_view.Count < _options.ViewSize)
            {
                _view.Add(fresh);
                continue;
            }

            int slot = _view.FindIndex(e => replaceable.Contains(e.Peer));
            if (slot < 0)
            {
                return;
            }

            replaceable.Remove(_view[slot].Peer);
            _view[slot] = fresh;
        }
    }

    /// <summary>Ages above this are all "very old" (an entry older than this many cycles would have been shuffled out).</summary>
    private const int MaxAge = 1 << 16;

    /// <summary>Whether <paramref name="peer"/> is in the view (a scan of at most view_size entries).</summary>
    public bool Contains(PeerId peer)
    {
        // A loop, not List.Exists: the lambda captured the peer, one delegate per call on every PEX entry
        // (1 % of a 1,000-node netsim run's allocations).
        foreach (ViewEntry entry in _view)
        {
            if (entry.Peer == peer)
            {
                return true;
            }
        }

        return false;
    }

    private IEnumerable<ViewEntry> RandomSubset(int count)
    {
        ViewEntry[] copy = [.. _view];
        _random.Shuffle(copy);
        return copy.Take(Math.Max(0, count));
    }
}
