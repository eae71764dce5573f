namespace FedMesh.Node.Gossip;

/// <summary>Gossip dissemination settings (SPEC.md §9 describes the exchange these drive).</summary>
public sealed record GossipOptions
{
    public static readonly GossipOptions Default = new();

    /// <summary>
    /// Peers a new delta is announced (Have) to, chosen at random among connected ones; every node that verifies
    /// it announces it again. Have is ~90 bytes, so a generous fanout costs little; 8 ≥ log2 of a 256-node mesh keeps
    /// epidemic spread near one hop per round-trip (Demers et al. 1987: push reaches all w.h.p. in log N + ln N rounds).
    /// </summary>
    public int Fanout { get; init; } = 8;

    /// <summary>
    /// Neighbours (default): only this node's own releases are announced, to <see cref="Fanout"/> peers, and Haves of
    /// other origins are ignored, so a node's traffic is flat in the mesh size; flood: every verified state is
    /// announced on (<see cref="GossipMode"/>).
    /// </summary>
    public GossipMode Mode { get; init; } = GossipMode.Neighbours;

    /// <summary>
    /// Neighbours mode: a release drawn for a peer whose states this node ignores (reputation below
    /// <c>IgnoreBelow</c>) still goes there but does not count toward <see cref="Fanout"/>, so it reaches
    /// <see cref="Fanout"/> peers whose states this node merges (at most 2 × <see cref="Fanout"/> targets); an ignored
    /// peer gets no push on connect (<see cref="Internal.PushTargets"/>, SPEC.md §9.2). On by default: a node mixes
    /// only what is pushed to it, and in netsim byzantine-30 (20 nodes, 30 % attackers, neighbours, seeds 1–5) it took
    /// the honest nodes' final distance to the optimum from +8.5 … +17.9 % of the attackers-absent run to −1.2 … +4.8 %
    /// for six of the seven attacks (ALIE +16.0 %, whose senders are rarely ignored), with no honest node captured;
    /// flood mode is unaffected (netsim/scenarios/README.md, "Push targets past ignored peers"). Needs the host's
    /// reputation tracker (the daemon's and netsim's pass it).
    /// </summary>
    public bool FanoutPastIgnored { get; init; } = true;

    /// <summary>Verified deltas kept to serve to others (the newest per origin are kept first).</summary>
    public int MaxStoredDeltas { get; init; } = 256;

    /// <summary>Bytes of verified deltas kept; 512 MiB bounds memory on a lab server and fits 8 maximal (64 MiB) deltas.</summary>
    public long MaxStoredBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Chunks served for a single Want; a larger request is clipped (the requester asks again for the rest).</summary>
    public int MaxChunksPerWant { get; init; } = 64;

    /// <summary>
    /// Anti-entropy period: each interval one random ready peer is sent the Haves of the newest stored delta of each
    /// origin. Push with a fanout below a node's degree misses some nodes (fanout 2 in a 16-node full mesh missed 67 of
    /// 750 node-deltas over 50 seeded runs of the in-memory test network), and a pull abandoned for lack of announcers
    /// is otherwise only retried on a new Have; periodic exchange makes delivery eventual (Demers et al. 1987,
    /// anti-entropy). 30 s costs at most 256 × 86 bytes ≈ 22 KB per interval per node, negligible beside one delta; a
    /// Have of content already held or being pulled costs the receiver a lookup (and at most an announcer entry).
    /// </summary>
    public TimeSpan AntiEntropyInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time a connected peer has to send its Hello (its first message, right after the transport handshake) before
    /// the connection is closed with Timeout. 10 s is two orders of magnitude above a WAN round trip, so only a stuck
    /// or hostile peer trips it; without it such a peer holds a connection slot forever.
    /// </summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The staleness horizon: a manifest dated further back is rejected on arrival (<c>BadTimestamp</c>, SPEC.md §5.5
    /// step 6), before any chunk is pulled, stored or announced again. A node that merges sets it to the oldest state
    /// its round coordinator could still merge (<see cref="Mesh.MeshOptions.StalenessHorizon"/>); the default, for
    /// a relay with no rounds of its own, is that horizon for the daemon's default settings (30 s period,
    /// <c>merge.max_staleness_rounds</c> 5, round unit up to 10 periods: 6 × 300 s = 30 min).
    /// </summary>
    public TimeSpan MaxDeltaAge { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Pull scheduling: concurrency, stall timeout, fallbacks.</summary>
    public PullOptions Pull { get; init; } = PullOptions.Default;

    /// <summary>
    /// Signatures already checked in this process (<see cref="FedMesh.Protocol.Deltas.SignatureMemo"/>), shared by the
    /// nodes a simulator hosts so each delta's Ed25519 check runs once. Null (the daemon): every manifest is checked.
    /// </summary>
    public FedMesh.Protocol.Deltas.SignatureMemo? SignatureMemo { get; init; }

    public string? Problem()
    {
        if (Fanout is < 1 or > 64)
        {
            return "gossip.fanout must be between 1 and 64";
        }

        if (MaxStoredDeltas < 1 || MaxStoredBytes < 1)
        {
            return "the delta store needs room for at least one delta";
        }

        if (MaxDeltaAge <= TimeSpan.Zero)
        {
            return "the staleness horizon (MaxDeltaAge) must be positive";
        }

        if (AntiEntropyInterval <= TimeSpan.Zero || HelloTimeout <= TimeSpan.Zero)
        {
            return "the anti-entropy interval and the Hello timeout must be positive";
        }

        return MaxChunksPerWant < 1 ? "MaxChunksPerWant must be at least 1" : null;
    }
}
