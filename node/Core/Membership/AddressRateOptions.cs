namespace FedMesh.Node.Membership;

/// <summary>Inbound connection attempts per remote address, enforced by <see cref="AddressRateLimiter"/>.</summary>
public sealed record AddressRateOptions
{
    public static readonly AddressRateOptions Default = new();

    /// <summary>
    /// Sustained attempts per second per address: 2. An honest peer redials at most once per second after a failure
    /// (reconnect backoff base 1 s), so 2 leaves headroom; a flooder at thousands per second is refused at accept.
    /// </summary>
    public double PerSecond { get; init; } = 2;

    /// <summary>
    /// Burst per address: 16 attempts, so that a lab running many nodes on one host (all sharing one address) can
    /// start them at once, every one dialling this node and retrying a crossed duplicate connection.
    /// </summary>
    public double Burst { get; init; } = 16;

    /// <summary>Addresses tracked at once (~100 bytes each); the idlest is forgotten beyond this.</summary>
    public int MaxTrackedAddresses { get; init; } = 4096;
}
