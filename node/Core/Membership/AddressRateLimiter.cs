using System.Net;
using FedMesh.Node.Membership.Internal;

namespace FedMesh.Node.Membership;

/// <summary>
/// Inbound connection attempts per remote IP address, one <see cref="TokenBucket"/> each: a host that connects
/// faster than the sustained rate (after its burst) is refused at accept, before any handshake work or buffer is
/// spent on it. Memory is bounded by <see cref="AddressRateOptions.MaxTrackedAddresses"/>. Thread-safe.
/// </summary>
public sealed class AddressRateLimiter
{
    private readonly AddressRateOptions _options;
    private readonly TimeProvider _time;
    private readonly IdleEvictingTable<IPAddress, TokenBucket> _addresses;
    private readonly Lock _lock = new();

    public AddressRateLimiter(TimeProvider time, AddressRateOptions? options = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options ?? AddressRateOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxTrackedAddresses, 1);
        _addresses = new IdleEvictingTable<IPAddress, TokenBucket>(_options.MaxTrackedAddresses);
    }

    public int TrackedAddresses
    {
        get
        {
            lock (_lock)
            {
                return _addresses.Count;
            }
        }
    }

    /// <summary>Spends one attempt of <paramref name="remote"/>'s budget; false when it has none left.</summary>
    public bool TryAdmit(IPAddress remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        lock (_lock)
        {
            // Forgetting the idlest address loses nothing unless every tracked address is flooding at once (then the
            // oldest flooder gets a fresh burst).
            return _addresses.Touch(remote, _time.GetTimestamp(), () => new TokenBucket(_options.PerSecond, _options.Burst, _time)).TryTake();
        }
    }
}
