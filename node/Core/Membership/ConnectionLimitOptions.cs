namespace FedMesh.Node.Membership;

/// <summary>
/// Bounds on simultaneous connections, enforced by <see cref="ConnectionSlots"/>. A slot is taken before the
/// handshake (accept or dial) and held until the connection closes, so handshakes in progress count.
/// </summary>
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

    /// <summary>
    /// Inbound handshakes in progress from one remote IP address: 8. A lab running up to nine nodes on one host (or
    /// behind one NAT address) can have all of them dial a seed at the same instant, while a flooder at one address
    /// holds at most 8 slots, each for at most the handshake time-out.
    /// </summary>
    public int MaxHandshakesPerAddress { get; init; } = 8;
}
