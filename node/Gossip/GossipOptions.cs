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

    /// <summary>Verified deltas kept to serve to others (the newest per origin are kept first).</summary>
    public int MaxStoredDeltas { get; init; } = 256;

    /// <summary>Bytes of verified deltas kept; 512 MiB bounds memory on a lab server and fits 8 maximal (64 MiB) deltas.</summary>
    public long MaxStoredBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Chunks served for a single Want; a larger request is clipped (the requester asks again for the rest).</summary>
    public int MaxChunksPerWant { get; init; } = 64;

    /// <summary>Pull scheduling: concurrency, stall timeout, fallbacks.</summary>
    public PullOptions Pull { get; init; } = PullOptions.Default;

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

        return MaxChunksPerWant < 1 ? "MaxChunksPerWant must be at least 1" : null;
    }
}
