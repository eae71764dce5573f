namespace FedMesh.Node.Membership;

/// <summary>Per-peer inbound limits enforced by <see cref="PeerRateLimiter"/>.</summary>
public sealed record RateLimitOptions
{
    public static readonly RateLimitOptions Default = new();

    /// <summary>
    /// Sustained bytes per second per peer: 4 MiB/s lets a rank-8 LoRA delta of a small model (a few MiB) through in
    /// about a second while one peer cannot saturate a 100 Mbit/s uplink shared with others.
    /// </summary>
    public double BytesPerSecond { get; init; } = 4 * 1024 * 1024;

    /// <summary>Byte burst: 16 MiB, one maximum-size delta frame arriving at once (frames are bounded by the protocol).</summary>
    public double BurstBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Sustained messages per second per peer: 50 covers pings, peer lists and deltas with headroom; a flood is not.</summary>
    public double MessagesPerSecond { get; init; } = 50;

    /// <summary>Message burst: 200, a reconnect's catch-up exchange.</summary>
    public double BurstMessages { get; init; } = 200;

    /// <summary>Peers tracked at once; the limiter forgets the longest-idle one beyond this so its memory is bounded.</summary>
    public int MaxTrackedPeers { get; init; } = 1024;
}
