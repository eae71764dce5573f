using System.Net;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

public enum ConnectionDirection
{
    Inbound,
    Outbound,
}

/// <summary>
/// Admission control for connections: caps inbound and outbound counts, inbound connections per remote address,
/// and allows one connection per peer id. Acquire before the handshake completes (for inbound, the address check
/// first, then <see cref="TryBindPeer"/> once the peer id is known); dispose the lease when the connection closes.
/// Thread-safe.
/// </summary>
public sealed class ConnectionSlots
{
    private readonly ConnectionLimitOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _inboundPerAddress = [];
    private readonly HashSet<PeerId> _peers = [];
    private int _inbound;
    private int _outbound;

    public ConnectionSlots(ConnectionLimitOptions? options = null)
    {
        _options = options ?? ConnectionLimitOptions.Default;
        if (_options.MaxInbound < 0 || _options.MaxOutbound < 0 || _options.MaxInboundPerAddress < 1)
        {
            throw new ArgumentException("connection limits must be non-negative and MaxInboundPerAddress ≥ 1", nameof(options));
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

                _inbound++;
                _inboundPerAddress[remote] = fromAddress + 1;
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
                int left = _inboundPerAddress[lease.Remote] - 1;
                if (left == 0)
                {
                    _inboundPerAddress.Remove(lease.Remote);
                }
                else
                {
                    _inboundPerAddress[lease.Remote] = left;
                }
            }

            if (lease.Peer is { } peer)
            {
                _peers.Remove(peer);
            }
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

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(this);
            }
        }
    }
}
