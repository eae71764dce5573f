namespace FedMesh.NetSim.Network;

/// <summary>
/// Per-link behaviour. Latency is drawn per message from a shifted log-normal (a fixed propagation part plus a
/// heavy-ish queueing tail, the usual fit for WAN round-trip times); bandwidth serialises messages on the link
/// (a message waits for the ones before it); loss drops whole messages, as a lost TCP segment followed by a
/// connection reset would from the application's point of view.
/// </summary>
public sealed record LinkProfile
{
    public static readonly LinkProfile Default = new();

    /// <summary>Fixed one-way propagation delay. 5 ms: same metro region.</summary>
    public TimeSpan BaseLatency { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Median of the random extra delay (log-normal). 2 ms of queueing on a quiet link.</summary>
    public TimeSpan JitterMedian { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Log-normal shape σ of the extra delay; 0.5 gives a 95th percentile ≈ 2.3× the median.</summary>
    public double JitterSigma { get; init; } = 0.5;

    /// <summary>Link capacity in bytes per second. 12.5 MB/s = 100 Mbit/s, a typical lab or office uplink.</summary>
    public double BandwidthBytesPerSecond { get; init; } = 12.5e6;

    /// <summary>Probability that a message is lost.</summary>
    public double Loss { get; init; }

    /// <summary>One message's delay: serialisation is added by the link queue, not here.</summary>
    public TimeSpan SampleLatency(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (JitterMedian <= TimeSpan.Zero)
        {
            return BaseLatency;
        }

        // Box–Muller normal → log-normal with median JitterMedian.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        double extra = JitterMedian.TotalSeconds * Math.Exp(JitterSigma * z);
        return BaseLatency + TimeSpan.FromSeconds(Math.Min(extra, 60));
    }
}
