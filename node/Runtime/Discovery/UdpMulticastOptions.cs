namespace FedMesh.Node.Discovery;

/// <summary>Options of <see cref="UdpMulticastTransport"/>.</summary>
public sealed record UdpMulticastOptions
{
    public static readonly UdpMulticastOptions Default = new();

    /// <summary>UDP port: 5353, the mDNS port (RFC 6762 §3); tests may use another to stay off the host's responder.</summary>
    public int Port { get; init; } = MdnsOptions.MdnsPort;

    public bool UseIPv4 { get; init; } = true;

    public bool UseIPv6 { get; init; } = true;

    /// <summary>
    /// How often interfaces are re-scanned: 5 s finds a plugged-in cable or a new VPN quickly at negligible cost
    /// (one getifaddrs call). Address-change events trigger an immediate scan in addition.
    /// </summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Datagrams queued for the discovery service; beyond this, new ones are dropped (and counted).</summary>
    public int ReceiveQueueCapacity { get; init; } = 256;

    /// <summary>Largest datagram accepted: 9000 bytes (RFC 6762 §17); larger ones are dropped unread.</summary>
    public int MaxDatagramBytes { get; init; } = 9000;

    /// <summary>Only these interface names if set (e.g. from config); null means every multicast-capable one.</summary>
    public IReadOnlyList<string>? InterfaceNames { get; init; }

    /// <summary>
    /// Run in this network namespace (a path like <c>/run/netns/NAME</c>) instead of the process's: sockets are
    /// created and interfaces scanned on a dedicated thread that entered it with setns(2). Null: the process's own.
    /// </summary>
    public string? NetworkNamespacePath { get; init; }
}
