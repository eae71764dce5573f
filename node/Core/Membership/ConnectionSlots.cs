using System.Net;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

public enum ConnectionDirection
{
    Inbound,
    Outbound,
}

/// <summary>
/// Admission control for connections: caps inbound and outbound counts, inbound connections and inbound handshakes
/// in progress per remote address, and allows one connection per peer id. Acquire before the handshake starts (a
/// lease counts as a handshake until <see cref="Lease.MarkEstablished"/>; for inbound, the address checks first,
/// then <see cref="Lease.TryBindPeer"/> once the peer id is known); dispose the lease when the connection closes.
/// Thread-safe.
/// </summary>
public sealed class ConnectionSlots
{
    private readonly ConnectionLimitOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _inboundPerAddress = [];
    private readonly Dictionary<IPAddress, int> _handshakesPerAddress = [];
    private readonly HashSet<PeerId> _peers = [];
    private int _inbound;
    private int _outbound;

    public ConnectionSlots(ConnectionLimitOptions? options = null)
    {
        _options = options ?? ConnectionLimitOptions.Default;
        if (_options.MaxInbound < 0 || _options.MaxOutbound < 0 || _options.MaxInboundPerAddress < 1 || _options.MaxHandshakesPerAddress < 1)
        {
            throw new ArgumentException("connection limits must be non-negative and the per-address limits ≥ 1", nameof(options));
        }
    }

    public int Inbound
    {
        get
        {
            lock (_lock)
            {
                return _inbound;
            }
        }
    }

    /// <summary>Inbound handshakes in progress (leases not yet marked established).</summary>
    public int InboundHandshakes
    {
        get
        {
            lock (_lock)
            {
                return _handshakesPerAddress.Values.Sum();
            }
        }
    }

    public int Outbound
    {
        get
        {
            lock (_lock)
            {
                return _outbound;
            }
        }
    }

    /// <summary>Reserves a slot; null (with <paramref name="reason"/>) if a limit is reached.</summary>
    public Lease? TryAcquire(ConnectionDirection direction, IPAddress remote, out string reason)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        lock (_lock)
        {
            if (direction == ConnectionDirection.Outbound)
            {
                if (_outbound >= _options.MaxOutbound)
                {
                    reason = $"outbound connection limit ({_options.MaxOutbound}) reached";
                    return null;
                }

                _outbound++;
            }
            else
            {
                if (_inbound >= _options.MaxInbound)
                {
                    reason = $"inbound connection limit ({_options.MaxInbound}) reached";
                    return null;
                }

                int fromAddress = _inboundPerAddress.GetValueOrDefault(remote);
                if (fromAddress >= _options.MaxInboundPerAddress)
                {
                    reason = $"inbound limit per address ({_options.MaxInboundPerAddress}) reached for {remote}";
                    return null;
                }

                int handshaking = _handshakesPerAddress.GetValueOrDefault(remote);
                if (handshaking >= _options.MaxHandshakesPerAddress)
                {
                    reason = $"handshakes in progress per address ({_options.MaxHandshakesPerAddress}) reached for {remote}";
                    return null;
                }

                _inbound++;
                _inboundPerAddress[remote] = fromAddress + 1;
                _handshakesPerAddress[remote] = handshaking + 1;
            }
        }

        reason = string.Empty;
        return new Lease(this, direction, remote);
    }

    private void Release(Lease lease)
    {
        lock (_lock)
        {
            if (lease.Direction == ConnectionDirection.Outbound)
            {
                _outbound--;
            }
            else
            {
                _inbound--;
                Decrement(_inboundPerAddress, lease.Remote);
                if (!lease.Established)
                {
                    Decrement(_handshakesPerAddress, lease.Remote);
                }
            }

            if (lease.Peer is { } peer)
            {
                _peers.Remove(peer);
            }
        }
    }

    private void Establish(Lease lease)
    {
        lock (_lock)
        {
            if (lease.IsDisposed || lease.Established)
            {
                return;
            }

            lease.Established = true;
            if (lease.Direction == ConnectionDirection.Inbound)
            {
                Decrement(_handshakesPerAddress, lease.Remote);
            }
        }
    }

    private static void Decrement(Dictionary<IPAddress, int> counts, IPAddress remote)
    {
        int left = counts[remote] - 1;
        if (left == 0)
        {
            counts.Remove(remote);
        }
        else
        {
            counts[remote] = left;
        }
    }

    /// <summary>Binds under the lock that <see cref="Release"/> takes, so a lease disposed concurrently never leaves its peer id claimed.</summary>
    private bool Bind(Lease lease, PeerId peer)
    {
        lock (_lock)
        {
            if (lease.IsDisposed || !_peers.Add(peer))
            {
                return false;
            }

            lease.Peer = peer;
            return true;
        }
    }

    /// <summary>A reserved connection slot; disposing it frees the slot (idempotent).</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ConnectionSlots _owner;
        private int _disposed;

        internal Lease(ConnectionSlots owner, ConnectionDirection direction, IPAddress remote)
        {
            _owner = owner;
            Direction = direction;
            Remote = remote;
        }

        public ConnectionDirection Direction { get; }

        public IPAddress Remote { get; }

        public PeerId? Peer { get; internal set; }

        /// <summary>True once the handshake completed (<see cref="MarkEstablished"/>); written under the owner's lock.</summary>
        internal bool Established { get; set; }

        internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        /// <summary>
        /// Claims the peer id once the handshake revealed it; false if this node already has a connection to that
        /// peer (the caller closes the duplicate).
        /// </summary>
        public bool TryBindPeer(PeerId peer)
        {
            if (Peer is not null)
            {
                return Peer == peer;
            }

            return _owner.Bind(this, peer);
        }

        /// <summary>The handshake completed: the slot stays taken, but no longer counts as a handshake in progress.</summary>
        public void MarkEstablished() => _owner.Establish(this);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(this);
            }
        }
    }
}
