namespace FedMesh.Node.Membership;

/// <summary>Bounds on simultaneous connections, enforced by <see cref="ConnectionSlots"/>.</summary>
public sealed record ConnectionLimitOptions
{
    public static readonly ConnectionLimitOptions Default = new();

    /// <summary>
    /// Outbound connections: 8, as Bitcoin Core's full-relay default; gossip averaging mixes in O(log n) rounds with
    /// a handful of random neighbours, more only costs bandwidth.
    /// </summary>
    public int MaxOutbound { get; init; } = 8;

    /// <summary>Inbound connections: 24, so that nodes behind NAT (outbound only) still find slots on reachable ones.</summary>
    public int MaxInbound { get; init; } = 24;

    /// <summary>Inbound connections from one remote IP address: 2 stops one host from taking every inbound slot.</summary>
    public int MaxInboundPerAddress { get; init; } = 2;
}
