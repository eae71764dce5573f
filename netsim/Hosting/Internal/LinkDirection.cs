using FedMesh.NetSim.Network;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// When the bytes written into one direction of one connection arrive, under a <see cref="LinkProfile"/>: they queue
/// behind earlier bytes for the link's bandwidth (serialisation), then take the link's latency (base + log-normal
/// jitter); a lost TCP segment is retransmitted after a retransmission timeout that doubles per retry; delivery stays
/// in order (a late chunk holds back the ones after it, as TCP's head-of-line blocking does). Pure arithmetic over a
/// seeded <see cref="Random"/>, so a run replays exactly.
/// </summary>
internal sealed class LinkDirection(Func<LinkProfile> profile, Random random)
{
    /// <summary>TCP payload per segment on a 1500-byte Ethernet MTU with timestamps (1500 − 20 IP − 32 TCP).</summary>
    public const int SegmentBytes = 1448;

    /// <summary>Linux's minimum retransmission timeout (TCP_RTO_MIN, 200 ms); RFC 6298 asks for an RTO of at least
    /// the smoothed RTT plus four deviations, which 4 × the one-way base latency stands in for on slow links.</summary>
    public static readonly TimeSpan MinRetransmissionTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Retries per segment before the delay stops growing: TCP gives up after ~15 (tcp_retries2), by which
    /// time the connection is dead anyway; 8 doublings of 200 ms already exceed 50 s.</summary>
    private const int MaxRetries = 8;

    private TimeSpan _linkFreeAt;
    private TimeSpan _lastArrival;

    /// <summary>Arrival time of <paramref name="bytes"/> written at <paramref name="now"/>.</summary>
    public TimeSpan Arrival(TimeSpan now, int bytes)
    {
        LinkProfile p = profile();
        TimeSpan start = now > _linkFreeAt ? now : _linkFreeAt;
        _linkFreeAt = start + TimeSpan.FromSeconds(bytes / p.BandwidthBytesPerSecond);
        TimeSpan arrival = _linkFreeAt + p.SampleLatency(random) + RetransmissionDelay(p, bytes, random);
        if (arrival < _lastArrival)
        {
            arrival = _lastArrival;
        }

        _lastArrival = arrival;
        return arrival;
    }

    /// <summary>
    /// Extra delay of a chunk from lost segments: each of its ⌈bytes / <see cref="SegmentBytes"/>⌉ segments is lost with
    /// the profile's probability, again on every retry, each retry waiting an RTO that doubles (RFC 6298 §5.5); the
    /// chunk is complete when its slowest segment is.
    /// </summary>
    public static TimeSpan RetransmissionDelay(LinkProfile p, int bytes, Random random)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(random);
        if (p.Loss <= 0 || bytes <= 0)
        {
            return TimeSpan.Zero;
        }

        TimeSpan rto = 4 * p.BaseLatency > MinRetransmissionTimeout ? 4 * p.BaseLatency : MinRetransmissionTimeout;
        TimeSpan worst = TimeSpan.Zero;
        int segments = (bytes + SegmentBytes - 1) / SegmentBytes;
        for (int s = 0; s < segments; s++)
        {
            TimeSpan delay = TimeSpan.Zero;
            TimeSpan wait = rto;
            for (int retry = 0; retry < MaxRetries && random.NextDouble() < p.Loss; retry++)
            {
                delay += wait;
                wait *= 2;
            }

            worst = delay > worst ? delay : worst;
        }

        return worst;
    }
}
