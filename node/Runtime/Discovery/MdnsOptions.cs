namespace FedMesh.Node.Discovery;

/// <summary>Tuning of <see cref="MdnsDiscovery"/>. Section numbers refer to RFC 6762 (mDNS) and RFC 6763 (DNS-SD).</summary>
public sealed record MdnsOptions
{
    public static readonly MdnsOptions Default = new();

    /// <summary>The mDNS port (RFC 6762 §3).</summary>
    public const int MdnsPort = 5353;

    /// <summary>DNS-SD service type (RFC 6763 §7): FedMesh over TCP.</summary>
    public const string ServiceType = "_fedmesh._tcp.local";

    /// <summary>The TXT protocol version this code speaks (<c>v=1</c>); other versions are ignored.</summary>
    public const string TxtVersion = "1";

    /// <summary>
    /// Announce and answer for this node. Off gives a listen-only browser (e.g. <c>fedmesh discover</c>) that
    /// queries and reports peers without being visible itself.
    /// </summary>
    public bool Announce { get; init; } = true;

    /// <summary>TTL of records naming a host (SRV, A, AAAA): 120 s, as RFC 6762 §10 recommends.</summary>
    public TimeSpan HostRecordTtl { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TTL of other records (PTR, TXT): 75 minutes, as RFC 6762 §10 recommends.</summary>
    public TimeSpan OtherRecordTtl { get; init; } = TimeSpan.FromMinutes(75);

    /// <summary>First query interval: 1 s, then doubling (RFC 6762 §5.2).</summary>
    public TimeSpan InitialQueryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest query interval: 60 minutes (RFC 6762 §5.2).</summary>
    public TimeSpan MaxQueryInterval { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>
    /// Largest packet processed: 9000 bytes, the mDNS maximum including IP and UDP headers (RFC 6762 §17). Anything
    /// larger is dropped before parsing.
    /// </summary>
    public int MaxPacketBytes { get; init; } = 9000;

    /// <summary>
    /// Packets processed per second (sustained); the rest are dropped and counted. A FedMesh LAN produces a few
    /// packets per second; 100/s leaves room for a busy mDNS segment while bounding the CPU a flood can take.
    /// </summary>
    public double MaxPacketsPerSecond { get; init; } = 100;

    /// <summary>Burst of packets processed at once: 200, a LAN full of responders answering one query.</summary>
    public double PacketBurst { get; init; } = 200;

    /// <summary>Peers tracked at once; announcements of further peers are ignored until some expire.</summary>
    public int MaxPeers { get; init; } = 256;

    /// <summary>Endpoints kept per discovered peer.</summary>
    public int MaxEndPointsPerPeer { get; init; } = 8;

    /// <summary>
    /// Minimum gap between multicast answers on one interface (RFC 6762 §6: a record is multicast at most once per
    /// second), which also caps what a query flood makes us send.
    /// </summary>
    public TimeSpan MinAnswerInterval { get; init; } = TimeSpan.FromSeconds(1);
}
