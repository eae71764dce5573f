namespace FedMesh.Node.Membership;

/// <summary>Tuning of <see cref="PhiAccrualDetector"/>.</summary>
public sealed record PhiAccrualOptions
{
    public static readonly PhiAccrualOptions Default = new();

    /// <summary>
    /// φ at or above which a peer is suspected. 8 (P_later = 10⁻⁸) is the value Akka and Cassandra ship after
    /// years of production use; lower reacts faster with more false suspicions.
    /// </summary>
    public double Threshold { get; init; } = 8.0;

    /// <summary>Inter-arrival samples kept: 100 adapts within a few minutes at 1 Hz yet smooths jitter (Akka's 1000 is sized for sub-second heartbeats).</summary>
    public int WindowSize { get; init; } = 100;

    /// <summary>
    /// Floor on σ: perfectly regular heartbeats would give σ → 0 and make φ explode on the first few ms of delay.
    /// 100 ms is Akka's default and above typical LAN/WAN scheduling jitter.
    /// </summary>
    public TimeSpan MinStdDev { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Extra pause tolerated before φ rises (added to the mean), covering GC pauses and a lost heartbeat.
    /// 1 s: one missed ping at the default 1 Hz heartbeat does not raise suspicion.
    /// </summary>
    public TimeSpan AcceptablePause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Interval assumed before the second heartbeat arrives (the first gives no inter-arrival time). 1 s matches
    /// the gossip ping interval; σ is seeded at a quarter of it, as Akka does.
    /// </summary>
    public TimeSpan FirstHeartbeatEstimate { get; init; } = TimeSpan.FromSeconds(1);
}
