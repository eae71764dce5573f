using FedMesh.Node.Discovery;
using FedMesh.Node.Membership;
using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// Who this node knows and whom it dials. Seeds, mDNS announcements, peer exchange and connections all go into the
/// <see cref="PeerBook"/> (persisted as peers.json, so a restarted node finds its mesh without its seeds); the dial
/// loop dials from it, most useful first, until <see cref="NodeParts.MaxPeers"/> sessions are open, each address with
/// its own <see cref="ReconnectScheduler"/> backoff; peer lists pass <see cref="PeerBook.MergePex"/> (caps and
/// <see cref="PexSanity"/>); a per-peer <see cref="PhiAccrualDetector"/> fed by every received frame closes a session
/// that went silent long before the connection's 90 s idle timeout would.
/// </summary>
internal sealed class MembershipService
{
    /// <summary>Dial targets are revisited every 2 s; each has its own backoff.</summary>
    private static readonly TimeSpan DialInterval = TimeSpan.FromSeconds(2);

    /// <summary>peers.json is saved every 5 minutes (and at stop): a crash loses at most that much of what the node
    /// learned, and a 300 KiB atomic write every 5 min is nothing next to the checkpoints.</summary>
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(5);

    /// <summary>A failing dial address is logged when it first fails, then at most every 10 minutes (with the number
    /// of failures in between): a dead seed retried with a 60 s backoff cap stays visible without filling the log.</summary>
    private static readonly TimeSpan DialLogInterval = TimeSpan.FromMinutes(10);

    /// <summary>Addresses whose log lines are throttled at once; beyond it the oldest is forgotten.</summary>
    private const int MaxThrottledKeys = 1024;

    /// <summary>
    /// Reconnect backoff of the daemon: 1 s first retry, decorrelated jitter (Brooker 2015), capped at 60 s so a seed
    /// that restarts is found again within a minute (ReconnectOptions' 5 min default suits peers that are long gone;
    /// a node has few dial targets, so retrying each once a minute costs nothing).
    /// </summary>
    internal static readonly ReconnectOptions Reconnect = ReconnectOptions.Default with { MaxDelay = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// Failure detection on the 1 Hz ping heartbeat: φ ≥ 8 (Akka's and Cassandra's threshold) with a 15 s acceptable
    /// pause, so a peer is suspected after roughly 16 s of silence. That is well beyond a GC pause or a training step
    /// hogging a loaded 2-core machine (false suspicions cost a reconnect), and still a sixth of the 90 s idle timeout.
    /// </summary>
    internal static readonly PhiAccrualOptions Liveness = PhiAccrualOptions.Default with { AcceptablePause = TimeSpan.FromSeconds(15) };

    /// <summary>
    /// A peer's next address is dialled once the dial to another of its addresses has been pending this long
    /// (<see cref="_diallingPeers"/>). A dial on loopback or a LAN connects within milliseconds and a handshake within
    /// a second on a loaded 2-core machine (the walk-through's daemons logged "connected" within the second of the
    /// dial tick), while a connect to an address whose packets are dropped waits for the kernel's SYN retries (about
    /// 2 min on Linux): 5 s (two and a half dial ticks, half the handshake time-out) tells them apart without leaving
    /// a peer unreached behind a dead address. A second dial that does connect is resolved by the duplicate rule.
    /// </summary>
    internal static readonly TimeSpan StaggerAfter = TimeSpan.FromSeconds(5);

    /// <summary>A transfer frame (Want, manifest, chunk) within this long marks a session as mid-transfer, and it is
    /// not closed for being outside the view: a transfer's frames follow each other within round trips, and 10 s is
    /// the same margin as the Hello timeout (SPEC.md §9.1), far beyond a round trip on a loaded machine.</summary>
    internal static readonly TimeSpan TransferQuiet = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How quiet a session must be for <see cref="Rotate"/> to replace it: no transfer frame for 3 s (three dial ticks,
    /// far beyond a round trip on a loaded machine). Shorter than <see cref="TransferQuiet"/>, which is a whole round
    /// at a 10 s period: with a fanout at or above a node's degree a push reaches every session every round, so no
    /// session is ever 10 s quiet and a rotation held to it would never happen (netsim byzantine-30: fanout 8, view 8).
    /// A transfer still under way has frames within round trips (or queued ones), so 3 s does not cut one.
    /// </summary>
    internal static readonly TimeSpan RotationQuiet = TimeSpan.FromSeconds(3);

    /// <summary>Cyclon ages on the wire are u16 (SPEC.md §4.3); older entries are all "very old".</summary>
    private const int MaxWireAge = ushort.MaxValue;

    /// <summary>How long a refused newcomer's peer list may take to be written before the Bye goes out: a PeerList is
    /// one small frame, so anything slower is a peer that does not read (SecureConnection drains for 5 s too).</summary>
    private static readonly TimeSpan RefusalDrain = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a node explores (<see cref="PeerSampler.Explore"/>): dials one known peer outside its view, at random,
    /// and shuffles with it. Cyclon's views only learn from peers they already hold, and a node with view-size
    /// sessions dials nothing outside its view, so two overlays whose views forgot each other (a partition longer
    /// than a few shuffle cycles, or a join or churn that happened to split the views) stayed apart for good.
    /// One exploration a minute (six shuffle cycles; the reconnect ceiling) per node joins them within about a
    /// minute of the cut healing once a few nodes of each side explore, and costs a mesh of N nodes at most N/60 extra
    /// dials a second (only nodes with view-size sessions and a free dial slot explore), next to the N/10 shuffles it
    /// already exchanges. Serf's reconnect to failed members
    /// (every 30 s) is the same idea.
    /// </summary>
    internal static readonly TimeSpan ExploreInterval = TimeSpan.FromMinutes(1);

    private readonly NodeParts _parts;
    private readonly ILogger _logger;
    private readonly PeerBook _book;
    private readonly Random _random;
    private readonly Dictionary<PeerAddress, DialTarget> _targets = [];

    /// <summary>The targets by the peer they reach (<see cref="DialTarget.Peer"/>), in the order they were added: a
    /// node that has joined dials only its view's peers, and the dial tick (every <see cref="DialInterval"/>), a
    /// refusal and a peer-list hint look up those few peers here instead of scanning up to <see cref="MaxTargets"/>
    /// targets (the scan was 8 % of a 1,000-node netsim run's CPU). Under _lock, kept by <see cref="AddDialTarget"/>
    /// and <see cref="ConnectedAs"/>.</summary>
    private readonly Dictionary<PeerId, List<DialTarget>> _targetsByPeer = [];

    /// <summary>The addresses of <see cref="_targets"/>, readable without _lock: the dial tick's filter over the book
    /// (<see cref="PeerBook.Snapshot(Func{PeerRecord, bool})"/>) runs under the book's lock and must not take ours
    /// (<see cref="DialAsync"/> takes the book's under ours). Written under _lock with <see cref="_targets"/>;
    /// targets are never removed.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PeerAddress, bool> _targetAddresses = new();
    private readonly Lock _lock = new();
    private readonly LogThrottle _dialLog;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PeerId, PhiAccrualDetector> _liveness = new();
    /// <summary>Each connected peer's key and advertised addresses, as the entry every newcomer's peer list repeats
    /// (one entry per peer, not one per peer and newcomer).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PeerId, PeerEntry> _listenAddresses = new();
    private readonly PeerSampler _sampler;
    private readonly PeerSamplingOptions _sampling;

    /// <summary>Since when each connected peer has been outside the view (the hysteresis of <see cref="Prune"/>). Read
    /// and written by <see cref="Tick"/> only.</summary>
    private readonly Dictionary<PeerId, DateTimeOffset> _outOfViewSince = [];
    private ConnectionManager? _connections;
    private long _order;

    /// <summary>The last pass over the book (<see cref="BookMayAddTargets"/>): the book's
    /// <see cref="PeerBook.FirstAddressVersion"/> then, and the peers it skipped because they were connected. The dial
    /// loop's alone.</summary>
    private (long Version, List<PeerId> SkippedConnected)? _bookPass;

    /// <summary>Targets with <see cref="DialTarget.InFlight"/> set, kept with it (under _lock): the dial loop asks
    /// every tick, and counting up to <see cref="MaxTargets"/> targets each time was a tenth of netsim's CPU at
    /// N = 1,000.</summary>
    private int _inFlight;

    /// <summary>
    /// The peers a dial in flight is meant to reach (<see cref="DialTarget.DiallingAs"/>), under _lock: when the latest
    /// of their dials started and how many are in flight. Targets are keyed by address, and mDNS announces every
    /// address of a host (three for one daemon in the walk-through, beside its seed): the dial tick dialled them all
    /// at once, and each dial that reached the peer was a connection the duplicate rule then had to close at both ends
    /// (SPEC.md §9.8). Now another address of a peer is dialled only once the last dial to it has ended or has been
    /// pending for <see cref="StaggerAfter"/> (Happy Eyeballs' staggered attempts, RFC 8305 §5).
    /// </summary>
    private readonly Dictionary<PeerId, (DateTimeOffset Since, int Count)> _diallingPeers = [];

    /// <summary><see cref="Explorable"/>'s candidates (empty between calls). Under _lock.</summary>
    private readonly List<(long Order, int Index, DialTarget Target)> _exploreScratch = [];
    private DateTimeOffset? _nextShuffle;
    private DateTimeOffset? _nextExplore;

    /// <summary>When <see cref="Rotate"/> may next replace a session (one per shuffle period). <see cref="Tick"/>'s alone.</summary>
    private DateTimeOffset _nextRotation;

    /// <summary>An exploration is due (<see cref="ExploreInterval"/>); taken by the next dial tick with room. Under _lock.</summary>
    private bool _exploreDue;

    /// <summary>The peer dialled to explore, until its session is ready and the shuffle goes out. Under _lock.</summary>
    private PeerId? _explore;

    public MembershipService(NodeParts parts, ILoggerFactory loggers, ILogger logger)
    {
        _parts = parts;
        _logger = logger;
        _book = parts.PeerBook ?? new PeerBook(parts.Identity.PeerId, parts.Time, PeerBookOptions.Default with { AllowLoopbackFromPex = System.Net.IPAddress.IsLoopback(parts.Listen.Address) }, loggers.CreateLogger<PeerBook>());
        _random = new Random(parts.Seed + 1);
        _dialLog = new LogThrottle(parts.Time, DialLogInterval, MaxThrottledKeys);
        _sampling = parts.PeerSampling;
        _sampler = new PeerSampler(parts.Identity.PeerId, _sampling, new Random(parts.Seed + 2));
    }

    /// <summary>A round's neighbours (SPEC.md §9.10): the connected peers of the partial view, in peer-id order; all
    /// connected peers while none of the view is (a node that just joined has sessions before its view fills).</summary>
    public IReadOnlyList<PeerId> Neighbours()
    {
        var connected = new List<PeerId>();
        Connections.AddConnectedPeers(connected);
        // Every round: the view's own scan (at most view_size entries) per connected peer instead of a set of the view
        // and a LINQ filter. Only the peers handed out are sorted (the view's few, not every session: the sort of all
        // connected peers was a third of this call's CPU at 1,000 nodes); ids are unique, so the order is the same.
        var inView = new List<PeerId>(connected.Count);
        lock (_lock)
        {
            for (int i = 0; i < connected.Count; i++)
            {
                if (_sampler.Contains(connected[i]))
                {
                    inView.Add(connected[i]);
                }
            }
        }

        List<PeerId> neighbours = inView.Count > 0 ? inView : connected;
        neighbours.Sort(ConnectionManager.ById);
        return neighbours;
    }

    /// <summary>The Cyclon partial view (SPEC.md §9.10): at most <see cref="PeerSamplingOptions.ViewSize"/> peers,
    /// in view order.</summary>
    public IReadOnlyList<PeerId> View
    {
        get
        {
            lock (_lock)
            {
                return _sampler.View.Select(e => e.Peer).ToArray();
            }
        }
    }

    public PeerBook Book => _book;

    /// <summary>Sessions this node may have dialled: min(view size, max_peers) (SPEC.md §9.10).</summary>
    private int DialBudget => Math.Min(_sampling.ViewSize, _parts.MaxPeers);

    /// <summary>Dials this node may start now: the budget less the sessions it dialled and the dials in flight.</summary>
    private int DialRoom => RoomWith(DialsInFlight);

    /// <summary><see cref="DialRoom"/> for a count of dials in flight the caller already took.</summary>
    private int RoomWith(int inFlight) => DialBudget - Connections.OutboundCount - inFlight;

    /// <summary>Dials started and not finished (connect and handshake).</summary>
    public int DialsInFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Dial targets held at most: four per connection slot (seeds, the book's most useful entries, mDNS).</summary>
    private int MaxTargets => 4 * _parts.MaxConnections;

    /// <summary>No book entry can become a target (<see cref="AddDialTarget"/> adds only seeds beyond
    /// <see cref="MaxTargets"/>): the dial tick then skips sorting the book (up to its 1,024 entries) for nothing.</summary>
    private bool TargetsFull
    {
        get
        {
            lock (_lock)
            {
                return _targets.Count >= MaxTargets;
            }
        }
    }

    public void Attach(ConnectionManager connections) => _connections = connections;

    private ConnectionManager Connections => _connections ?? throw new InvalidOperationException("membership not attached");

    /// <summary>Adds an address to dial (seeds, mDNS, peer exchange, a benchmark's mesh). Known addresses are ignored.</summary>
    public void AddDialTarget(PeerAddress address, PeerId? expected = null, byte[]? publicKey = null, bool seed = false)
    {
        lock (_lock)
        {
            // Keyed by the address itself (host and port, ordinal: the same identity as its text form), not by
            // ToString(): the dial tick offers every book entry each time, and that was a string per entry per tick.
            if (!_targets.ContainsKey(address) && (_targets.Count < MaxTargets || seed))
            {
                var target = new DialTarget(address, expected, publicKey, seed, seed ? _order++ : _random.NextInt64(), new ReconnectScheduler(_parts.Time, _random, Reconnect));
                _targets.Add(address, target);
                _targetAddresses[address] = true;
                Index(target, add: true);
            }
        }
    }

    /// <summary>The dial loop: seeds and the persisted book first, then every <see cref="DialInterval"/> the due
    /// targets, most useful first, while fewer than <see cref="NodeParts.MaxPeers"/> sessions are open.</summary>
    public async Task DialLoopAsync(LoopSupervisor supervisor, CancellationToken stop)
    {
        foreach (Seed seed in _parts.Seeds)
        {
            if (seed.Id is { } id && id != _parts.Identity.PeerId)
            {
                _book.Observe(id, [seed.Address], PeerSources.Seed);
            }

            AddDialTarget(seed.Address, seed.Id, seed: true);
        }

        using var timer = new PeriodicTimer(DialInterval, _parts.Time);
        do
        {
            supervisor.Iteration("dial");
            foreach (DialTarget target in Due())
            {
                _ = Task.Factory.StartNew(() => DialAsync(target, stop), stop, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current).Unwrap();
            }
        }
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
    }

    /// <summary>
    /// Targets to dial now, marked in flight. The overlay is the view (SPEC.md §9.10): this node dials its view's peers
    /// while fewer than min(view size, max_peers) of its sessions are ones it dialled (dials in flight included), and
    /// anyone else (seeds, the book's other entries) only while it has fewer sessions than its view size (joining,
    /// or recovering after its peers left), since a session outside the view would be closed again by
    /// <see cref="Prune"/>. Inbound sessions are the other side's choice and do not use this node's dial budget.
    /// Once an <see cref="ExploreInterval"/>, a node that is not joining gives room left over to one random known
    /// peer outside the view (<see cref="PeerSampler.Explore"/>).
    /// </summary>
    private List<DialTarget> Due()
    {
        if (DialRoom <= 0)
        {
            // No dial budget left (the common case once a node has its peers; the room below can only be smaller): the
            // book's snapshot, the targets' scan and their sort would all end in an empty list. The book's entries
            // become targets at the next tick that has room.
            return [];
        }

        if (!TargetsFull && BookMayAddTargets())
        {
            long version = _book.FirstAddressVersion;
            var skipped = new List<PeerId>();

            // Only entries whose first address is not a target yet are sorted and offered: the others would be
            // passed over by AddDialTarget anyway, and the book holds up to 1,024 entries (N = 1,000: most of the mesh).
            bool Wanted(PeerRecord record)
            {
                if (record.Addresses.Count == 0 || _targetAddresses.ContainsKey(record.Addresses[0]))
                {
                    return false;
                }

                if (Connections.IsConnected(record.Id))
                {
                    skipped.Add(record.Id);
                    return false;
                }

                return true;
            }

            foreach (PeerRecord record in _book.Snapshot(Wanted))
            {
                AddDialTarget(record.Addresses[0], record.Id, record.PublicKey);
            }

            _bookPass = (version, skipped);
        }

        DateTimeOffset now = _parts.Time.GetUtcNow();
        lock (_lock)
        {
            // One scan of the targets for both: room and joining must agree on the dials in flight.
            int inFlight = DialsInFlight;
            int room = RoomWith(inFlight);
            bool joining = Connections.SessionCount + inFlight < _sampling.ViewSize;
            // The view as a set, and tested before Dialable: once a node has joined only view peers qualify, so most of
            // up to MaxTargets targets are passed over on a hash lookup instead of two session lookups and a view scan.
            HashSet<PeerId> view = ViewSet();
            List<DialTarget> due = MostUseful(joining ? _targets.Values : ViewTargets(), joining, view, now, room);
            // A joining node dials every known peer anyway; exploring is for one that dials only its view.
            if (_exploreDue && !joining && due.Count < room && Explorable(now, view) is { } explore)
            {
                _exploreDue = false;
                _explore = explore.Expected;
                due.Add(explore);
            }

            foreach (DialTarget t in due)
            {
                t.InFlight = true;
                _inFlight++;
                t.DiallingAs = t.Peer;
                if (t.Peer is { } peer)
                {
                    _diallingPeers[peer] = (now, (_diallingPeers.TryGetValue(peer, out var dialling) ? dialling.Count : 0) + 1);
                }
            }

            return due;
        }
    }

    /// <summary>
    /// The first <paramref name="room"/> dialable <paramref name="targets"/> (all of them when joining, else the view's),
    /// most useful first: the view's peers, then seeds, then fewest failures, then the target's order; targets equal
    /// in all four keep the order they came in (a stable sort, as LINQ's OrderBy chain this replaces: its iterators,
    /// key arrays and delegates were 2 % of a 1,000-node netsim run's allocations). Under _lock.
    /// </summary>
    private List<DialTarget> MostUseful(IEnumerable<DialTarget> targets, bool joining, HashSet<PeerId> view, DateTimeOffset now, int room)
    {
        if (room <= 0)
        {
            return [];
        }

        // The keys are read once per target (as OrderBy does), not in every comparison.
        var ranked = new List<(DialTarget Target, bool InView, bool Seed, int Failures, long Order, int Index)>();
        foreach (DialTarget t in targets)
        {
            bool inView = InView(t, view);
            if ((joining || inView) && Dialable(t, now))
            {
                ranked.Add((t, inView, t.Seed, t.Backoff.Failures, t.Order, ranked.Count));
            }
        }

        ranked.Sort(static (a, b) =>
        {
            int c = b.InView.CompareTo(a.InView);
            c = c != 0 ? c : b.Seed.CompareTo(a.Seed);
            c = c != 0 ? c : a.Failures.CompareTo(b.Failures);
            c = c != 0 ? c : a.Order.CompareTo(b.Order);
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        // The most useful address of each peer only (Dialable already passed over peers with a recent dial in flight).
        var due = new List<DialTarget>(Math.Min(room, ranked.Count));
        HashSet<PeerId>? picked = null;
        for (int i = 0; i < ranked.Count && due.Count < room; i++)
        {
            DialTarget t = ranked[i].Target;
            if (t.Peer is { } peer && !(picked ??= []).Add(peer))
            {
                continue;
            }

            due.Add(t);
        }

        return due;
    }

    /// <summary>
    /// Whether a pass over the book could add a dial target: it adds an entry's first address unless the entry's peer
    /// is connected or the address is a target already, and targets are never removed. So after a pass, the next can
    /// only add something once an entry got a new first address (<see cref="PeerBook.FirstAddressVersion"/>) or a
    /// peer the pass skipped as connected is not any more. Skipping the pass otherwise is exact (a pass that adds
    /// nothing draws no random order and changes nothing) and spares sorting the whole book every dial tick (3 % of a
    /// 1,000-node netsim run's CPU).
    /// </summary>
    private bool BookMayAddTargets()
    {
        if (_bookPass is not { } last || last.Version != _book.FirstAddressVersion)
        {
            return true;
        }

        foreach (PeerId peer in last.SkippedConnected)
        {
            if (!Connections.IsConnected(peer))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The targets of the view's peers (<see cref="_targetsByPeer"/>), view order. Under _lock.</summary>
    private List<DialTarget> ViewTargets()
    {
        var found = new List<DialTarget>();
        foreach (ViewEntry entry in _sampler.View)
        {
            if (_targetsByPeer.TryGetValue(entry.Peer, out List<DialTarget>? targets))
            {
                found.AddRange(targets);
            }
        }

        return found;
    }

    /// <summary>The targets that reach <paramref name="peer"/>, or none. Under _lock.</summary>
    private IReadOnlyList<DialTarget> TargetsOf(PeerId peer) =>
        _targetsByPeer.TryGetValue(peer, out List<DialTarget>? targets) ? targets : [];

    /// <summary>Adds <paramref name="target"/> to, or removes it from, <see cref="_targetsByPeer"/> under its
    /// <see cref="DialTarget.Peer"/>. Under _lock.</summary>
    private void Index(DialTarget target, bool add)
    {
        if (target.Peer is not { } peer)
        {
            return;
        }

        if (add)
        {
            if (!_targetsByPeer.TryGetValue(peer, out List<DialTarget>? targets))
            {
                _targetsByPeer[peer] = targets = [];
            }

            targets.Add(target);
        }
        else if (_targetsByPeer.TryGetValue(peer, out List<DialTarget>? targets) && targets.Remove(target) && targets.Count == 0)
        {
            _targetsByPeer.Remove(peer);
        }
    }

    /// <summary>Records who answered at <paramref name="target"/>'s address (<see cref="DialTarget.ConnectedAs"/>),
    /// moving it in <see cref="_targetsByPeer"/> if that changes the peer it reaches.</summary>
    private void ConnectedAs(DialTarget target, PeerId? peer)
    {
        if (peer is null)
        {
            return;
        }

        lock (_lock)
        {
            Index(target, add: false);
            target.ConnectedAs = peer;
            Index(target, add: true);
        }
    }

    /// <summary>Not in flight, its peer not dialled at another address for less than <see cref="StaggerAfter"/>, not
    /// connected, not backing off, not held after a refusal. Under _lock.</summary>
    /// <remarks>The target's own fields are read first and the lookups by peer id last, the table of dials in flight
    /// only when it holds any: every test is free of side effects, so the order does not change the answer, and a dial
    /// tick asks this of up to <see cref="MaxTargets"/> targets (that table's lookup alone was 1.5 % of the CPU of a
    /// 4,096-node netsim run, profile of session 24).</remarks>
    private bool Dialable(DialTarget t, DateTimeOffset now) =>
        !t.InFlight && t.Backoff.IsDue && now >= t.HeldUntil && !StaggeredBehindDial(t, now) && !IsConnectedTo(t);

    /// <summary>The target's peer is being dialled at another address since less than <see cref="StaggerAfter"/>.
    /// Under _lock.</summary>
    private bool StaggeredBehindDial(DialTarget t, DateTimeOffset now) =>
        _diallingPeers.Count > 0 && t.Peer is { } peer && _diallingPeers.TryGetValue(peer, out var dialling) && now - dialling.Since < StaggerAfter;

    /// <summary>A random dialable target outside the view whose peer id is known (the shuffle goes out once that
    /// peer's session is ready), or null. Under _lock.</summary>
    private DialTarget? Explorable(DateTimeOffset now, HashSet<PeerId> view)
    {
        // The candidates in the targets' order, then sorted by Order with that position breaking ties: the order a
        // stable OrderBy(Order) gives, which the random index is drawn into. Reused list, no LINQ: this scans up to
        // MaxTargets targets once an ExploreInterval at every node.
        List<(long Order, int Index, DialTarget Target)> candidates = _exploreScratch;
        candidates.Clear();
        foreach (DialTarget t in _targets.Values)
        {
            if (t.Expected is not null && !InView(t, view) && Dialable(t, now))
            {
                candidates.Add((t.Order, candidates.Count, t));
            }
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        DialTarget picked = PickInOrder(candidates, _random);
        candidates.Clear();
        return picked;
    }

    /// <summary>
    /// The item at a random index (one <see cref="Random.Next(int)"/> draw) of <paramref name="candidates"/> sorted by
    /// order, ties in the order they were listed (<c>Index</c>, their position): the pick of a stable
    /// <c>OrderBy(Order)</c> over the list, without its iterator and key arrays. Sorts the list in place.
    /// </summary>
    internal static T PickInOrder<T>(List<(long Order, int Index, T Item)> candidates, Random random)
    {
        candidates.Sort(static (a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Index.CompareTo(b.Index));
        return candidates[random.Next(candidates.Count)].Item;
    }

    /// <summary>The partial view's peers as a set (takes _lock, which is reentrant: <see cref="Due"/> holds it).</summary>
    private HashSet<PeerId> ViewSet()
    {
        lock (_lock)
        {
            // Sized up front: built on every dial tick, upkeep tick and round, and a growing set's resizes were 2 % of
            // a 1,000-node netsim run's allocations.
            var view = new HashSet<PeerId>(_sampler.View.Count);
            foreach (ViewEntry entry in _sampler.View)
            {
                view.Add(entry.Peer);
            }

            return view;
        }
    }

    /// <summary>The target is a peer of the partial view (<paramref name="view"/> from <see cref="ViewSet"/>): dialled
    /// before the book's other entries. Under _lock.</summary>
    private static bool InView(DialTarget target, HashSet<PeerId> view) => target.Peer is { } id && view.Contains(id);

    private bool IsConnectedTo(DialTarget target) =>
        (target.Expected is { } id && (Connections.IsConnected(id) || id == _parts.Identity.PeerId)) || (target.ConnectedAs is { } c && Connections.IsConnected(c));

    private async Task DialAsync(DialTarget target, CancellationToken stop)
    {
        DialOutcome outcome = DialOutcome.Failed;
        PeerId? peer = null;
        try
        {
            (outcome, peer) = await Connections.DialAsync(target.Address, target.PublicKey, stop).ConfigureAwait(false);
            ConnectedAs(target, peer);
            if (peer is { } p && target.Expected is { } expected && expected != p)
            {
                Log.UnexpectedPeer(_logger, target.Address.ToString(), expected.Value, p.Value);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong with this address (refused, unreachable, bad key pin, DNS), the next attempt waits
            // for the backoff; the dial loop itself never dies. Logged at warning (an operator's seed may be wrong),
            // at most once per address per DialLogInterval with the count of failures in between.
            if (!stop.IsCancellationRequested && _dialLog.ShouldLog(target.Address.ToString(), out int suppressed))
            {
                Log.DialFailed(_logger, target.Address.ToString(), ex.Message, suppressed);
            }
        }
        finally
        {
            lock (_lock)
            {
                target.InFlight = false;
                _inFlight--;
                if (target.DiallingAs is { } dialled)
                {
                    target.DiallingAs = null;
                    (DateTimeOffset since, int count) = _diallingPeers[dialled];
                    if (count > 1)
                    {
                        _diallingPeers[dialled] = (since, count - 1);
                    }
                    else
                    {
                        _diallingPeers.Remove(dialled);
                    }
                }

                switch (outcome)
                {
                    case DialOutcome.Connected:
                        target.Backoff.OnSuccess();
                        break;
                    case DialOutcome.Failed:
                        target.Backoff.OnFailure();
                        if (_explore is { } exploring && exploring == target.Expected)
                        {
                            // An exploration that could not connect (the book still names departed peers): the next
                            // one is a minute away, so exploring never dials more often than that.
                            _explore = null;
                        }

                        if (target.Peer is { } id)
                        {
                            _book.RecordFailure(id);
                        }

                        break;
                    default:
                        // No slot free: not this address's fault, tried again at the next tick without backoff.
                        break;
                }
            }
        }
    }

    /// <summary>Saves peers.json every <see cref="SaveInterval"/> (and <see cref="Save"/> once more at stop).</summary>
    public async Task PersistLoopAsync(LoopSupervisor supervisor, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SaveInterval, _parts.Time);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            supervisor.Iteration("peerbook");
            Save();
        }
    }

    public void Save()
    {
        if (_parts.PeerBookPath is not { } path)
        {
            return;
        }

        try
        {
            _book.Save(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.PeerBookSaveFailed(_logger, path, ex.Message);
        }
    }

    /// <summary>Forwards mDNS announcements into the book and the dial targets until stopped.</summary>
    public async Task DiscoveryLoopAsync(MdnsDiscovery mdns, LoopSupervisor supervisor, CancellationToken stop)
    {
        await foreach (DiscoveredPeer found in mdns.ReadChangesAsync(stop).ConfigureAwait(false))
        {
            supervisor.Iteration("mdns");
            if (found.Change == DiscoveryChange.Lost || found.PeerId == _parts.Identity.PeerId)
            {
                continue;
            }

            _book.Observe(found.PeerId, found.Addresses, PeerSources.Mdns, _parts.MeshName);
            foreach (PeerAddress address in found.Addresses)
            {
                AddDialTarget(address, found.PeerId);
            }
        }
    }

    /// <summary>A session was established (either direction): its failure detector starts.</summary>
    public void Connected(PeerId peer) => _liveness[peer] = new PhiAccrualDetector(_parts.Time, Liveness);

    public void Disconnected(PeerId peer, bool stillConnected)
    {
        if (!stillConnected)
        {
            _liveness.TryRemove(peer, out _);
            _listenAddresses.TryRemove(peer, out _);
        }
    }

    /// <summary>A frame arrived from <paramref name="peer"/>: a heartbeat for its detector.</summary>
    public void Heard(PeerId peer)
    {
        if (_liveness.TryGetValue(peer, out PhiAccrualDetector? detector))
        {
            detector.Heartbeat();
        }
    }

    /// <summary>Once a second (the gossip tick): a Cyclon shuffle every shuffle period, else the view is topped up from
    /// live sessions; sessions long outside the view are closed (<see cref="Prune"/>); sessions whose peer is suspected
    /// are closed, and redialled later.</summary>
    public void Tick()
    {
        DateTimeOffset now = _parts.Time.GetUtcNow();
        _nextExplore ??= now + ExploreInterval;
        if (now >= _nextExplore)
        {
            _nextExplore = now + ExploreInterval;
            lock (_lock)
            {
                _exploreDue = true;
            }
        }

        _nextShuffle ??= now + _sampling.ShufflePeriod;
        if (now >= _nextShuffle)
        {
            _nextShuffle = now + _sampling.ShufflePeriod;
            StartShuffle();
        }
        else
        {
            TopUp(target: null);
        }

        Prune(now);

        // ConcurrentDictionary.ToArray is the dictionary's own locked snapshot: LINQ's OrderBy straight on the
        // dictionary copies it through ICollection.CopyTo after reading Count, which throws ArgumentException when the
        // actor adds a session in between (it stopped a daemon's tick loop in a 32-daemon run).
        // Sorted in place (ids are unique, so in the order OrderBy gave), without LINQ's sorter and copies every tick.
        KeyValuePair<PeerId, PhiAccrualDetector>[] detectors = _liveness.ToArray();
        Array.Sort(detectors, static (a, b) => string.CompareOrdinal(a.Key.Value, b.Key.Value));
        foreach ((PeerId peer, PhiAccrualDetector detector) in detectors)
        {
            if (detector.SampleCount > 0 && detector.IsSuspected())
            {
                _liveness.TryRemove(peer, out _);
                string reason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"suspected failed: phi {detector.Phi():F1} >= {Liveness.Threshold}");
                Log.PeerClosed(_logger, peer.Value, nameof(ProtocolErrorCode.Timeout), reason);
                Connections.Close(peer, ProtocolErrorCode.Timeout, reason);
            }
        }
    }

    /// <summary>
    /// Keeps the node's degree near its view size (SPEC.md §9.10): a session this node dialled whose peer has been
    /// outside the view for <see cref="PeerSamplingOptions.OutOfViewGrace"/> is closed with Bye(Shutdown), longest
    /// outside first. Only the dialling side closes: the other side may hold this node in its view, and it would
    /// redial at once (the dialler's view decides, so the two never fight over a link). Never below view-size
    /// sessions (a node with few peers keeps them all, whatever its view says), and never a session that is
    /// mid-transfer (<see cref="TransferQuiet"/>) or still has messages queued. Under attack <see cref="Rotate"/>
    /// replaces sessions faster.
    /// </summary>
    private void Prune(DateTimeOffset now)
    {
        // Every tick, so without LINQ or a locked copy of the sessions (Sessions' order, walked in place).
        HashSet<PeerId> view = ViewSet();
        List<PeerSession> sessions = Connections.SessionsNow();
        var connected = new HashSet<PeerId>(sessions.Count);
        foreach (PeerSession session in sessions)
        {
            connected.Add(session.Peer);
            if (view.Contains(session.Peer))
            {
                _outOfViewSince.Remove(session.Peer);
            }
            else
            {
                _outOfViewSince.TryAdd(session.Peer, now);
            }
        }

        // Removing while enumerating a Dictionary is allowed (Remove does not invalidate its enumerator).
        foreach (PeerId peer in _outOfViewSince.Keys)
        {
            if (!connected.Contains(peer))
            {
                _outOfViewSince.Remove(peer);
            }
        }

        int open = sessions.Count;
        // Longest out of the view first, then by peer id (unique: one session per peer), the times read before any
        // is closed.
        var candidates = new List<(PeerSession Session, DateTimeOffset Since)>();
        foreach (PeerSession s in sessions)
        {
            if (s.Initiator && !s.IsClosing && _outOfViewSince.TryGetValue(s.Peer, out DateTimeOffset since) && now - since >= _sampling.OutOfViewGrace)
            {
                candidates.Add((s, since));
            }
        }

        candidates.Sort(static (a, b) => LongestOutOfViewFirst(a.Since, a.Session.Peer, b.Since, b.Session.Peer));
        foreach ((PeerSession session, _) in candidates)
        {
            if (open <= _sampling.ViewSize)
            {
                break;
            }

            if (session.Queued > 0 || now - session.LastTransfer < TransferQuiet)
            {
                continue;
            }

            const string Reason = "outside the peer-sampling view";
            Log.PeerClosedOutOfView(_logger, session.Peer.Value, nameof(ProtocolErrorCode.Shutdown), Reason);
            Connections.Close(session.Peer, ProtocolErrorCode.Shutdown, Reason);
            _outOfViewSince.Remove(session.Peer);
            open--;
        }

        Rotate(now, sessions, connected, view, open);
    }

    /// <summary>
    /// While this node has evidence of attack (<see cref="Reputation.ReputationTracker.UnderAttack"/>: it ignores a peer, reputation
    /// below <c>IgnoreBelow</c>, or one of its last few merges was mostly states far beyond its distance bound), one session it dialled that has been outside the view for a shuffle period is replaced per shuffle period:
    /// it is closed (one below the view size at most, <see cref="MayRotate"/>) and the dial tick dials an unconnected view
    /// peer at once. Its inputs are then re-drawn from the overlay's random sample instead of staying the peers its
    /// first dials gave it: the out-of-view grace (60 s in a row) almost never ran out, since connected peers refill a
    /// view's free slots, and a node at its view size never pruned, so in netsim byzantine-30 (neighbours mode) node 9
    /// at seed 18 dialled its seeds 10–19, six of them attackers, kept them 40 rounds while its view mixed, and was
    /// captured. An honest mesh ignores nobody and keeps its sessions: churn there costs bytes (a handshake and a push
    /// on connect per session) and accuracy (consensus.toml N = 64 with one replacement per shuffle period everywhere:
    /// final +8.7 %, bytes +33 %; netsim/scenarios/README.md, "Sessions that rotate under attack"). An ignored peer alone
    /// was not enough: at Gaussian noise seed 18 node 9's six noisy attackers set its merges' median distance, so it
    /// scored none down and ignored nobody until round 30, and was captured (5.98); its rounds 2–6 were mostly states
    /// beyond the distance bound, which an honest mesh does not make (ReputationOptions.UnscoredMemoryRounds).
    /// </summary>
    private void Rotate(DateTimeOffset now, List<PeerSession> sessions, HashSet<PeerId> connected, HashSet<PeerId> view, int open)
    {
        // Cheapest test first: an honest mesh has no evidence of attack, and this runs on every dial tick.
        if (now < _nextRotation || _parts.Reputation is not { } reputation || !reputation.UnderAttack())
        {
            return;
        }

        // connected: Prune's set of the sessions' peers, the ones it just closed included; Prune closes only sessions
        // outside the view, so for every view peer the set is exact.
        bool unconnectedInView = false;
        foreach (PeerId peer in view)
        {
            unconnectedInView |= !connected.Contains(peer);
        }

        if (!MayRotate(open, _sampling.ViewSize, unconnectedInView, underAttack: true))
        {
            return;
        }

        // The dialled session longest outside the view (then by peer id), quiet and with nothing queued.
        PeerSession? oldest = null;
        DateTimeOffset oldestSince = default;
        foreach (PeerSession s in sessions)
        {
            if (!s.Initiator || s.IsClosing || s.Queued > 0 || now - s.LastTransfer < RotationQuiet
                || !_outOfViewSince.TryGetValue(s.Peer, out DateTimeOffset since) || now - since < _sampling.ShufflePeriod)
            {
                continue;
            }

            if (oldest is null || LongestOutOfViewFirst(since, s.Peer, oldestSince, oldest.Peer) < 0)
            {
                oldest = s;
                oldestSince = since;
            }
        }

        if (oldest is null)
        {
            return;
        }

        const string Reason = "rotated out: outside the peer-sampling view while under attack";
        Log.PeerClosed(_logger, oldest.Peer.Value, nameof(ProtocolErrorCode.Shutdown), Reason);
        Connections.Close(oldest.Peer, ProtocolErrorCode.Shutdown, Reason);
        _outOfViewSince.Remove(oldest.Peer);
        _nextRotation = now + _sampling.ShufflePeriod;
    }

    /// <summary>The order in which <see cref="Prune"/> and <see cref="Rotate"/> close sessions: longest outside the view
    /// first, then by peer id (unique: one session per peer), so the choice does not depend on the sessions' order.</summary>
    private static int LongestOutOfViewFirst(DateTimeOffset aSince, PeerId a, DateTimeOffset bSince, PeerId b) =>
        aSince.CompareTo(bSince) is var c and not 0 ? c : string.CompareOrdinal(a.Value, b.Value);

    /// <summary>
    /// Whether <see cref="Rotate"/> may replace a session: only while this node has evidence of attack
    /// (<see cref="Reputation.ReputationTracker.UnderAttack"/>), a peer of its view is
    /// unconnected (the replacement), and it has at least its view size of sessions, so a rotation leaves it one below
    /// at most until the dial tick fills the slot (at the view size itself, not below it, or a node that had exactly
    /// view-size sessions, all dialled at start, would keep them whatever its view said).
    /// </summary>
    internal static bool MayRotate(int open, int viewSize, bool unconnectedInView, bool underAttack) =>
        underAttack && unconnectedInView && open >= viewSize;

    /// <summary>A peer's Hello was accepted: it goes into the book with the addresses it listens on, and it is told
    /// where the peers we know listen (peer exchange, SPEC.md §9.8).</summary>
    public void PeerReady(PeerId peer, HelloMessage hello)
    {
        if (!Connections.TryGetSession(peer, out PeerSession? session))
        {
            return;
        }

        IReadOnlyList<string> advertised = Advertised(hello, session);
        // One copy of the key for the entry and the book (neither writes to it).
        byte[] key = hello.PublicKey.ToArray();
        _listenAddresses[peer] = new PeerEntry(key, advertised);
        var addresses = advertised.Select(a => PeerAddress.TryParse(a, out PeerAddress p, out _) ? p : (PeerAddress?)null).OfType<PeerAddress>().ToArray();
        if (PexSanity.KeyMatchesId(peer, key))
        {
            _book.Observe(peer, addresses, PeerSources.Direct, _parts.MeshName, key);
        }

        _book.RecordSuccess(peer);
        bool refuse = !session.Initiator && InboundOverCap();
        if (!refuse)
        {
            session.Admit();
            lock (_lock)
            {
                _sampler.Add(peer);
            }
        }

        // In peer-id order, not the dictionary's (hash order differs between processes): the simulator's runs must
        // be a function of the seed alone. A list sorted in place instead of a LINQ chain: this runs for every
        // session (two per node and round in netsim's consensus scenario), and ids are unique, so the unstable sort
        // gives OrderBy's order.
        var connected = new List<KeyValuePair<PeerId, PeerEntry>>(_listenAddresses.Count);
        foreach (KeyValuePair<PeerId, PeerEntry> p in _listenAddresses)
        {
            if (p.Key != peer && p.Value.Addresses.Count > 0 && Connections.IsConnected(p.Key))
            {
                connected.Add(p);
            }
        }

        connected.Sort(static (a, b) => string.CompareOrdinal(a.Key.Value, b.Key.Value));
        var known = new PeerEntry[Math.Min(connected.Count, MessageLimits.MaxPeersPerList)];
        for (int i = 0; i < known.Length; i++)
        {
            known[i] = connected[i].Value;
        }
        if (known.Length > 0)
        {
            Connections.Send(peer, new PeerListMessage(known));
        }

        ShuffleRequest? exploration = null;
        lock (_lock)
        {
            if (session.Initiator && _explore == peer)
            {
                _explore = null;
                exploration = _sampler.Explore(peer);
            }
        }

        if (exploration is not null)
        {
            Log.Exploring(_logger, peer.Value);
            Connections.Send(peer, Describe(exploration.Offer, PeerListKind.ShuffleRequest));
        }

        if (refuse)
        {
            // Over the inbound cap (SPEC.md §9.10): the newcomer keeps the peer list just queued (sent before the
            // Bye) and dials those peers instead; this node's degree stays bounded however many joiners it was given to.
            string reason = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"inbound session cap ({_sampling.InboundCap}) reached");
            Log.InboundRefused(_logger, peer.Value, _sampling.InboundCap);
            _ = session.CloseAfterQueuedAsync(ProtocolErrorCode.Overloaded, reason, RefusalDrain);
        }
    }

    /// <summary>The inbound cap is reached: this node already admitted that many sessions others dialled (closing ones
    /// aside). Counted over admitted sessions only (PeerReady runs one session at a time on the actor), not over every
    /// registered one: inbound handshakes that finished but whose Hello is not handled yet would otherwise count
    /// before their own turn and get several newcomers refused for one free slot.</summary>
    private bool InboundOverCap() => Connections.AdmittedInboundCount >= _sampling.InboundCap;

    /// <summary>
    /// <paramref name="peer"/> closed a session with Bye(Overloaded): it is over its inbound cap (or found this node
    /// too slow a reader). When this node dialled it, that address is held off for a shuffle period, doubling with
    /// each refusal in a row up to the reconnect ceiling (in-degrees change as views shuffle, one cycle at a time),
    /// and the peer leaves the view so this node's view dials and shuffles go to others; it stays in the book and may
    /// come back through a shuffle.
    /// </summary>
    public void Refused(PeerId peer, bool dialledByUs)
    {
        if (!dialledByUs)
        {
            return;
        }

        DateTimeOffset now = _parts.Time.GetUtcNow();
        lock (_lock)
        {
            _sampler.Remove(peer);
            foreach (DialTarget target in TargetsOf(peer))
            {
                target.Refusals++;
                double hold = Math.Min(Reconnect.MaxDelay.TotalSeconds, _sampling.ShufflePeriod.TotalSeconds * Math.Pow(2, Math.Min(target.Refusals - 1, 16)));
                target.HeldUntil = now + TimeSpan.FromSeconds(hold);
            }
        }

        Log.RefusedByPeer(_logger, peer.Value);
    }

    /// <summary>The key array the book already holds for <paramref name="id"/> when it equals <paramref name="key"/>,
    /// else null. Most entries of a shuffle are peers the book knows with their key; sharing its (never written) array
    /// instead of copying each entry's key was about 1 % of what a node allocated in netsim's scale-1000.</summary>
    private byte[]? KnownKey(PeerId id, ReadOnlySpan<byte> key) =>
        _book.TryGet(id, out PeerRecord record) && record.PublicKey is { } known && known.AsSpan().SequenceEqual(key) ? known : null;

    /// <summary>A peer's PeerList: untrusted hearsay, merged into the book under its caps and sanity checks; the dial
    /// loop picks the new entries up from there.</summary>
    public void PeerList(PeerId reporter, PeerListMessage list)
    {
        var entries = new List<PexEntry>(Math.Min(list.Peers.Count, _book.Options.MaxPexRecordsPerMessage));
        var offered = new List<ViewEntry>(entries.Capacity);
        for (int i = 0; i < list.Peers.Count && i < _book.Options.MaxPexRecordsPerMessage; i++)
        {
            PeerEntry entry = list.Peers[i];
            if (entry.PublicKey.Length != PeerId.PublicKeyLength)
            {
                continue;
            }

            var id = PeerId.FromPublicKey(entry.PublicKey.Span);
            byte[] key = KnownKey(id, entry.PublicKey.Span) ?? entry.PublicKey.ToArray();
            if (list.Kind != PeerListKind.Hint)
            {
                offered.Add(new ViewEntry(id, list.Ages[i]));
            }

            int listed = Math.Min(entry.Addresses.Count, MessageLimits.MaxAddresses);
            var addresses = new List<PeerAddress>(listed);
            for (int a = 0; a < listed; a++)
            {
                if (PeerAddress.TryParse(entry.Addresses[a], out PeerAddress address, out _))
                {
                    addresses.Add(address);
                }
            }

            entries.Add(new PexEntry(id, addresses, key));
        }

        _book.MergePex(reporter, entries);
        if (list.Kind == PeerListKind.Hint)
        {
            DueAgain(entries.Select(e => e.Id));
        }

        if (list.Kind == PeerListKind.ShuffleRequest)
        {
            IReadOnlyList<ViewEntry> reply;
            lock (_lock)
            {
                reply = _sampler.OnShuffle(reporter, offered);
            }

            Connections.Send(reporter, Describe(reply, PeerListKind.ShuffleReply));
        }
        else if (list.Kind == PeerListKind.ShuffleReply)
        {
            bool explored;
            bool inView;
            lock (_lock)
            {
                explored = _sampler.OnReply(reporter, offered);
                inView = _sampler.View.Any(e => e.Peer == reporter);
            }

            if (explored && !inView && Connections.SessionCount > _sampling.ViewSize
                && Connections.TryGetSession(reporter, out PeerSession? session) && session.Initiator)
            {
                // The exploration's work is done: its entries are in the view (dialled as room allows) and this node
                // is in the peer's. The session is outside the view, so it would only hold a dial slot until Prune
                // closed it; as there, a node at view size or below keeps every session it has.
                const string Reason = "exploration shuffle done";
                Log.PeerClosedOutOfView(_logger, reporter.Value, nameof(ProtocolErrorCode.Shutdown), Reason);
                Connections.Close(reporter, ProtocolErrorCode.Shutdown, Reason);
            }
        }
    }

    /// <summary>
    /// A §9.8 peer list names peers its sender has a session with now: evidence they are up again. Their dial targets
    /// that are backing off after failed dials become due at the next dial tick, instead of waiting out a backoff that
    /// grew while they were unreachable (up to <see cref="Reconnect"/>'s 60 s ceiling): after a partition heals, the
    /// first link across brings each side the other's peers, and the rest of the links follow within a dial tick
    /// rather than one by one as backoffs expire. A refusal hold (<see cref="Refused"/>) stays: that peer is up but
    /// busy. Hearsay can only make this node dial sooner, never more often than the dial loop's tick and its budget.
    /// </summary>
    private void DueAgain(IEnumerable<PeerId> alive)
    {
        lock (_lock)
        {
            foreach (PeerId id in alive)
            {
                foreach (DialTarget target in TargetsOf(id))
                {
                    if (!target.InFlight && target.Backoff.Failures > 0)
                    {
                        target.Backoff.OnSuccess();
                    }
                }
            }
        }
    }

    /// <summary>Starts a Cyclon cycle (SPEC.md §9.10): the oldest view peer gets this node's offer. A target with no
    /// session is simply left out of the view (Cyclon's rule for an unreachable peer); the dial loop may find it again
    /// through the book.</summary>
    private void StartShuffle()
    {
        ShuffleRequest? request;
        lock (_lock)
        {
            request = _sampler.StartShuffle();
        }

        TopUp(request?.Target);

        if (request is not null && Connections.IsConnected(request.Target))
        {
            Connections.Send(request.Target, Describe(request.Offer, PeerListKind.ShuffleRequest));
        }
    }

    /// <summary>
    /// Fills free view slots from live sessions (every tick): Cyclon assumes every shuffle target answers, and without
    /// this a node whose targets left would shrink its view to nothing while still connected. Only connected peers are
    /// added, so a departed one is not brought back; the shuffle's target stays out until its reply.
    /// </summary>
    private void TopUp(PeerId? target)
    {
        // Not a session that is closing or that the peer refused (it leaves the view in Refused; re-adding it here
        // before the session is gone would undo that).
        // Every tick, so without LINQ: the connected peers in id order (unique: one session per peer), then one draw
        // per peer in that order and the peers in the order of their draws, ties kept in id order — the draws and the
        // order OrderBy(id).OrderBy(_ => random.Next()) gave, so the view fills as before.
        var connected = new List<PeerId>();
        foreach (PeerSession s in Connections.SessionsNow())
        {
            if (!s.IsClosing && !s.RefusedByPeer)
            {
                connected.Add(s.Peer);
            }
        }

        connected.Sort(ConnectionManager.ById);
        lock (_lock)
        {
            var order = new long[connected.Count];
            for (int i = 0; i < order.Length; i++)
            {
                // Draw in the high half, index in the low half: sorting these sorts by draw, then by id order.
                order[i] = ((long)_random.Next() << 32) | (uint)i;
            }

            Array.Sort(order);
            foreach (long drawn in order)
            {
                PeerId peer = connected[(int)(drawn & uint.MaxValue)];
                if (target != peer)
                {
                    _sampler.Add(peer);
                }
            }
        }
    }

    /// <summary>A shuffle half for the wire: each entry with the public key and addresses the book holds for it (this
    /// node's own entry carries its key and no address: the receiver has its listen addresses from Hello). Entries the
    /// book cannot describe are left out.</summary>
    private PeerListMessage Describe(IReadOnlyList<ViewEntry> view, PeerListKind kind)
    {
        var peers = new List<PeerEntry>(view.Count);
        var ages = new List<ushort>(view.Count);
        foreach (ViewEntry e in view.Take(MessageLimits.MaxPeersPerList))
        {
            if (e.Peer == _parts.Identity.PeerId)
            {
                peers.Add(new PeerEntry(_parts.Identity.PublicKey.ToArray(), []));
            }
            else if (_book.TryGet(e.Peer, out PeerRecord record) && record.PublicKey is { } key)
            {
                peers.Add(new PeerEntry(key, record.Addresses.Take(MessageLimits.MaxAddresses).Select(a => a.ToString()).ToArray()));
            }
            else
            {
                continue;
            }

            ages.Add((ushort)Math.Clamp(e.Age, 0, MaxWireAge));
        }

        return new PeerListMessage(peers) { Kind = kind, Ages = ages };
    }

    /// <summary>A peer's listen addresses as others can use them: an unspecified host (0.0.0.0, ::) is replaced by
    /// the address its connection came from.</summary>
    private static IReadOnlyList<string> Advertised(HelloMessage hello, PeerSession session)
    {
        string observedHost = PeerAddress.TryParse(session.Address, out PeerAddress observed, out _) ? observed.Host : string.Empty;
        var result = new List<string>();
        foreach (string text in hello.ListenAddresses.Take(MessageLimits.MaxAddresses))
        {
            if (!PeerAddress.TryParse(text, out PeerAddress address, out _))
            {
                continue;
            }

            bool unspecified = address.Ip is { } ip && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any));
            if (unspecified && observedHost.Length > 0)
            {
                address = new PeerAddress(observedHost, address.Port);
            }

            result.Add(address.ToString());
        }

        return result;
    }

    private sealed class DialTarget(PeerAddress address, PeerId? expected, byte[]? publicKey, bool seed, long order, ReconnectScheduler backoff)
    {
        public PeerAddress Address { get; } = address;

        public PeerId? Expected { get; } = expected;

        public byte[]? PublicKey { get; } = publicKey;

        public bool Seed { get; } = seed;

        /// <summary>Tie-break among equally ranked targets: seeds in the configured order; every other target a random
        /// rank drawn when it was added. Not the book's order: every node learns the mesh in about the same order (the
        /// seed's peer list), so first-come non-view dials of joining nodes all went to the same few early peers,
        /// which then refused them over their inbound cap (measured at N = 32: up to 37 refusals at one node).</summary>
        public long Order { get; } = order;

        public ReconnectScheduler Backoff { get; } = backoff;

        /// <summary>The peer id that answered at this address, once a dial got that far. Set through
        /// <see cref="MembershipService.ConnectedAs"/>, which keeps the peer index.</summary>
        public PeerId? ConnectedAs { get; set; }

        /// <summary>The peer this target reaches: the expected one, else the one that answered.</summary>
        public PeerId? Peer => Expected ?? ConnectedAs;

        public bool InFlight { get; set; }

        /// <summary>The peer this target's dial in flight is meant to reach (<see cref="Peer"/> when it started; the
        /// dial may learn who answers meanwhile), null when none is or that peer was unknown. Under _lock.</summary>
        public PeerId? DiallingAs { get; set; }

        /// <summary>Refusals by this peer so far (Bye Overloaded); the hold after one is capped, so an old count costs
        /// at most the reconnect ceiling once the peer refuses again.</summary>
        public int Refusals { get; set; }

        /// <summary>Not dialled before this time: the peer refused the last session (<see cref="Refused"/>).</summary>
        public DateTimeOffset HeldUntil { get; set; } = DateTimeOffset.MinValue;
    }
}

/// <summary>How a dial ended, for the dialled address's backoff.</summary>
internal enum DialOutcome
{
    /// <summary>A session exists (this one, or a duplicate that kept the other).</summary>
    Connected,

    /// <summary>Refused, unreachable, handshake failed: back off.</summary>
    Failed,

    /// <summary>No outbound slot free: not the address's fault; retried at the next tick without backoff.</summary>
    NoSlot,
}
