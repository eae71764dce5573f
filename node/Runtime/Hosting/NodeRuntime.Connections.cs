using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using FedMesh.Node.Discovery;
using FedMesh.Node.Membership;
using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Hosting;

public sealed partial class NodeRuntime
{
    /// <summary>Dial targets are revisited every 2 s; each has its own capped, jittered backoff.</summary>
    private static readonly TimeSpan DialInterval = TimeSpan.FromSeconds(2);

    /// <summary>A failing dial address is logged when it first fails, then at most every 10 minutes (with the number
    /// of failures in between): a dead seed retried with a 60 s backoff cap stays visible without filling the log.</summary>
    private static readonly TimeSpan DialLogInterval = TimeSpan.FromMinutes(10);

    /// <summary>Refused connections and failed handshakes: at most one line per address per minute during a flood.</summary>
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>Addresses (or peer ids) whose log lines are throttled at once; beyond it the oldest is forgotten.</summary>
    private const int MaxThrottledKeys = 1024;

    private readonly Dictionary<string, DialTarget> _targets = new(StringComparer.Ordinal);
    private readonly Lock _targetsLock = new();
    private readonly ConnectionSlots _slots;
    private readonly AddressRateLimiter _addressRates;
    private readonly LogThrottle _dialLog;
    private readonly LogThrottle _refusalLog;
    private readonly LogThrottle _handshakeLog;
    private readonly LogThrottle _duplicateLog;

    private ConnectionOptions ConnectionOptions => ConnectionOptions.Default with
    {
        Handshake = HandshakeOptions.Default with { MeshId = _parts.MeshName, Allowlist = _parts.Allowlist, Timeout = _parts.HandshakeTimeout },
    };

    /// <summary>Connections (inbound plus outbound, handshakes included) open at once, as <see cref="ConnectionSlots"/> counts them.</summary>
    internal int OpenConnections => _slots.Inbound + _slots.Outbound;

    /// <summary>
    /// Splits network.max_connections: a quarter (at least 1) for dials, the rest inbound. Dials go to the
    /// max_peers peers this node picks; inbound slots take strangers' handshakes, so they are the larger share,
    /// and a flood of inbound handshakes can never take the slots this node needs to dial out. No per-address cap on
    /// established inbound connections (labs behind one NAT address, or many nodes on one host, are normal), but
    /// at most <see cref="ConnectionLimitOptions.MaxHandshakesPerAddress"/> handshakes in progress per address.
    /// </summary>
    internal static ConnectionLimitOptions ConnectionLimitsFor(int maxConnections)
    {
        int outbound = Math.Max(1, maxConnections / 4);
        int inbound = Math.Max(1, maxConnections - outbound);
        return new ConnectionLimitOptions { MaxOutbound = outbound, MaxInbound = inbound, MaxInboundPerAddress = inbound };
    }

    /// <summary>Adds an address to dial (seeds, mDNS, peer exchange). Known addresses are ignored.</summary>
    public void AddDialTarget(PeerAddress address, PeerId? expected = null, byte[]? publicKey = null)
    {
        lock (_targetsLock)
        {
            string key = address.ToString();
            if (!_targets.ContainsKey(key) && _targets.Count < 4 * _parts.MaxConnections)
            {
                _targets.Add(key, new DialTarget(address, expected, publicKey));
            }
        }
    }

    private async Task AcceptLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpPipe pipe;
            try
            {
                pipe = await _listener!.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or TransportException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                Log.AcceptFailed(_logger, ex.Message);
                continue;
            }

            // Admission before any handshake work or buffer: the source address's attempt rate, then a slot (which
            // counts handshakes in progress, so a flood of half-open handshakes cannot exceed max_connections).
            IPAddress remote = pipe.RemoteEndPoint is IPEndPoint ep ? Normalize(ep.Address) : IPAddress.None;
            ConnectionSlots.Lease? lease = null;
            string reason;
            if (!_addressRates.TryAdmit(remote))
            {
                reason = "connection rate limit of its address";
            }
            else
            {
                lease = _slots.TryAcquire(ConnectionDirection.Inbound, remote, out reason);
            }

            if (lease is null)
            {
                Metrics.ConnectionsRefused.Inc();
                if (_refusalLog.ShouldLog(remote.ToString(), out int suppressed))
                {
                    Log.ConnectionRefused(_logger, remote.ToString(), reason, suppressed);
                }

                await pipe.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            _ = Task.Run(() => HandshakeAsync(pipe, lease, initiator: false, pipe.RemoteEndPoint?.ToString() ?? "?", null, stop), stop);
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private async Task DialLoopAsync(CancellationToken stop)
    {
        foreach (Seed seed in _parts.Seeds)
        {
            AddDialTarget(seed.Address, seed.Id);
        }

        if (_parts.PeerBook is { } book)
        {
            foreach (PeerRecord record in book.Snapshot())
            {
                foreach (PeerAddress address in record.Addresses)
                {
                    AddDialTarget(address, record.Id, record.PublicKey);
                }
            }
        }

        using var timer = new PeriodicTimer(DialInterval, _parts.Time);
        var random = new Random(_parts.Seed + 1);
        do
        {
            DateTimeOffset now = _parts.Time.GetUtcNow();
            DialTarget[] due;
            lock (_targetsLock)
            {
                due = _targets.Values.Where(t => !t.InFlight && t.NextAttempt <= now && !IsConnectedTo(t)).ToArray();
                foreach (DialTarget t in due)
                {
                    t.InFlight = true;
                }
            }

            foreach (DialTarget target in due)
            {
                _ = Task.Run(() => DialAsync(target, random, stop), stop);
            }
        }
        while (await WaitAsync(timer, stop).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private bool IsConnectedTo(DialTarget target) =>
        (target.Expected is { } id && (_sessions.ContainsKey(id) || id == Self)) || target.ConnectedAs is { } c && _sessions.ContainsKey(c);

    private async Task DialAsync(DialTarget target, Random random, CancellationToken stop)
    {
        bool ok = false;
        bool attempted = true;
        try
        {
            IPAddress[] addresses = target.Address.Ip is { } ip ? [ip] : await Dns.GetHostAddressesAsync(target.Address.Host, stop).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new TransportException(TransportErrorKind.Unreachable, $"{target.Address.Host} resolves to no address");
            }

            // The outbound slot is taken before connecting, so dials in progress count towards max_connections too.
            // No slot is not this address's fault: it is tried again at the next dial tick, without backoff.
            ConnectionSlots.Lease? lease = _slots.TryAcquire(ConnectionDirection.Outbound, addresses[0], out _);
            if (lease is null)
            {
                attempted = false;
                return;
            }

            TcpPipe pipe;
            try
            {
                pipe = await TcpPipe.ConnectAsync(new IPEndPoint(addresses[0], target.Address.Port), stop).ConfigureAwait(false);
            }
            catch
            {
                lease.Dispose();
                throw;
            }

            PeerId? peer = await HandshakeAsync(pipe, lease, initiator: true, target.Address.ToString(), target.PublicKey, stop).ConfigureAwait(false);
            ok = peer is not null;
            target.ConnectedAs = peer;
            if (peer is { } p && target.Expected is { } expected && expected != p)
            {
                Log.UnexpectedPeer(_logger, target.Address.ToString(), expected.Value, p.Value);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong with this address (refused, unreachable, bad key pin, DNS), the next attempt waits
            // for the backoff; the dial loop itself never dies. Logged at warning (an operator's seed may be wrong),
            // at most once per address per DialLogInterval with the count of failures in between.
            if (!stop.IsCancellationRequested && _dialLog.ShouldLog(target.Address.ToString(), out int suppressed))
            {
                Log.DialFailed(_logger, target.Address.ToString(), ex.Message, suppressed);
            }
        }
        finally
        {
            lock (_targetsLock)
            {
                target.InFlight = false;
                if (attempted)
                {
                    target.Failures = ok ? 0 : target.Failures + 1;
                    // Capped exponential backoff with full jitter (Membership.Backoff): 1 s base, 60 s cap.
                    TimeSpan wait = ok ? TimeSpan.Zero : Backoff.FullJitter(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), target.Failures, random);
                    target.NextAttempt = _parts.Time.GetUtcNow() + wait;
                }
            }
        }
    }

    /// <summary>Runs the handshake, then registers the session and pumps its frames into the engine. Owns
    /// <paramref name="lease"/> (released when the connection ends). Returns the authenticated peer, or null when the
    /// handshake failed or the connection was a duplicate.</summary>
    private async Task<PeerId?> HandshakeAsync(TcpPipe pipe, ConnectionSlots.Lease lease, bool initiator, string address, byte[]? pinned, CancellationToken stop)
    {
        SecureConnection connection;
        try
        {
            connection = initiator
                ? await SecureConnection.ConnectAsync(pipe, _parts.Identity, ConnectionOptions, pinned is null ? (ReadOnlyMemory<byte>?)null : pinned, _parts.Time, Loggers.CreateLogger("FedMesh.Transport"), stop).ConfigureAwait(false)
                : await SecureConnection.AcceptAsync(pipe, _parts.Identity, ConnectionOptions, _parts.Time, Loggers.CreateLogger("FedMesh.Transport"), stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProtocolException or IOException or OperationCanceledException or SocketException)
        {
            lease.Dispose();
            // Throttled per address and reason: a flood of bad or silent handshakes must not flood the log as well,
            // while a different failure from the same host (another node rejected for another reason) still shows.
            if (_handshakeLog.ShouldLog(HostOf(address) + " " + ex.Message, out int suppressed))
            {
                Log.HandshakeRejected(_logger, address, ex.Message, suppressed);
            }

            await pipe.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        lease.MarkEstablished();
        PeerId peer = connection.RemotePeerId;
        if (peer == Self)
        {
            lease.Dispose();
            await connection.CloseAsync(ProtocolErrorCode.Shutdown, "connected to itself").ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var session = new PeerSession(connection, initiator, address, _parts.Time, CountOut);
        if (!TryRegister(session))
        {
            lease.Dispose();
            await session.CloseAsync(ProtocolErrorCode.Shutdown, "duplicate connection").ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
            return peer;
        }

        Log.PeerConnected(_logger, peer.Value, address, initiator ? "outbound" : "inbound");
        byte[] publicKey = connection.Session.RemotePublicKey.ToArray();
        Post(() => _engine.Connected(peer, publicKey));
        _ = Task.Run(() => PumpAsync(session, pipe, lease), CancellationToken.None);
        return peer;
    }

    private static string HostOf(string address) =>
        PeerAddress.TryParse(address, out PeerAddress parsed, out _) ? parsed.Host : address;

    /// <summary>
    /// One connection per peer pair (SPEC.md §9.8). A new connection for a peer that already has a session:
    /// <list type="bullet">
    /// <item>the established session is kept when it is <see cref="DuplicateRule.Healthy"/> and older than a crossed
    /// dial can be; the newcomer is closed and both addresses logged at warning (a second node holding the same key
    /// cannot silently evict the real one);</item>
    /// <item>otherwise (both dialled each other at once, or the old session went quiet) the connection initiated by
    /// the peer with the smaller id survives on both sides, so they agree without a message; a stale session yields.</item>
    /// </list>
    /// </summary>
    private bool TryRegister(PeerSession session)
    {
        while (true)
        {
            if (_sessions.TryAdd(session.Peer, session))
            {
                return true;
            }

            if (!_sessions.TryGetValue(session.Peer, out PeerSession? existing))
            {
                continue;
            }

            DuplicateOutcome outcome = DuplicateRule.Decide(
                _parts.Time.GetUtcNow(), existing.Established, existing.LastReceived, Winner(existing), Winner(session), ConnectionOptions);
            if (outcome == DuplicateOutcome.KeepEstablished)
            {
                if (_duplicateLog.ShouldLog(session.Peer.Value, out int suppressed))
                {
                    Log.DuplicateRefused(_logger, session.Peer.Value, session.Address, existing.Address, suppressed);
                }

                return false;
            }

            if (outcome == DuplicateOutcome.CrossedKeepEstablished || !_sessions.TryUpdate(session.Peer, session, existing))
            {
                return false;
            }

            if (outcome == DuplicateOutcome.ReplaceStale)
            {
                Log.StaleSessionReplaced(_logger, session.Peer.Value, existing.Address, session.Address);
            }

            _ = existing.CloseAsync(ProtocolErrorCode.Shutdown, "duplicate connection");
            return true;
        }
    }

    /// <summary>Counts bytes a session wrote into the node's total and /metrics (one count for both).</summary>
    private void CountOut(long wire)
    {
        Interlocked.Add(ref _bytesOut, wire);
        Metrics.BytesOut.Inc(wire);
    }

    private bool Winner(PeerSession s)
    {
        string initiatorId = s.Initiator ? Self.Value : s.Peer.Value;
        string responderId = s.Initiator ? s.Peer.Value : Self.Value;
        return string.CompareOrdinal(initiatorId, responderId) < 0;
    }

    private async Task PumpAsync(PeerSession session, TcpPipe pipe, ConnectionSlots.Lease lease)
    {
        PeerId peer = session.Peer;
        try
        {
            await foreach (ReceivedFrame frame in session.Connection.Incoming.ReadAllAsync().ConfigureAwait(false))
            {
                using (frame)
                {
                    long wire = frame.Body.Length + session.FrameOverhead;
                    session.CountIn(wire);
                    Interlocked.Add(ref _bytesIn, wire);
                    Metrics.BytesIn.Inc(wire);
                    WireMessage message;
                    try
                    {
                        message = MessageCodec.Decode(frame.Type, frame.Body);
                    }
                    catch (ProtocolException ex)
                    {
                        Log.BadMessage(_logger, peer.Value, ex.Message);
                        await session.CloseAsync(ex.Code, ex.Message).ConfigureAwait(false);
                        break;
                    }

                    // Back-pressure: when the engine is behind, this peer's reads wait here (bounded actor queue).
                    await _actor.Writer.WriteAsync(() => _engine.Receive(peer, message), _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
        finally
        {
            ProtocolException reason = await session.Connection.Completion.ConfigureAwait(false);
            Log.PeerDisconnected(_logger, peer.Value, reason.Message);
            if (_sessions.TryRemove(new KeyValuePair<PeerId, PeerSession>(peer, session)))
            {
                Post(() => _engine.Disconnected(peer));
                // Closed by the other side within moments of the handshake while no other session to that peer
                // exists: it kept another session for our key (SPEC.md §9.8), so another node may be using it.
                if (!_stop.IsCancellationRequested && !session.ClosedLocally && !_sessions.ContainsKey(peer)
                    && DuplicateRule.ClosedSoonAfterHandshake(session.Established, _parts.Time.GetUtcNow(), ConnectionOptions)
                    && _duplicateLog.ShouldLog(peer.Value, out int suppressed))
                {
                    Log.ClosedRightAfterHandshake(_logger, peer.Value, session.Address, reason.Message, suppressed);
                }
            }

            lease.Dispose();
            await session.DisposeAsync().ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task StartMdnsAsync(CancellationToken cancellationToken)
    {
        try
        {
            _mdnsTransport = new UdpMulticastTransport(_parts.Time);
            _mdns = new MdnsDiscovery(
                new MdnsService(Self, _parts.MeshName, ListenEndPoint!.Port),
                _mdnsTransport,
                _parts.Time,
                new Random(_parts.Seed + 2),
                logger: Loggers.CreateLogger<MdnsDiscovery>());
            await _mdns.StartAsync(cancellationToken).ConfigureAwait(false);
            _tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (DiscoveredPeer found in _mdns.ReadChangesAsync(_stop.Token).ConfigureAwait(false))
                    {
                        if (found.Change != DiscoveryChange.Lost)
                        {
                            foreach (PeerAddress address in found.Addresses)
                            {
                                AddDialTarget(address, found.PeerId);
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }));
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
        {
            // No multicast here (no interface, port in use, sandbox): seeds and peer exchange still work.
            Log.MdnsUnavailable(_logger, ex.Message);
        }
    }

    private sealed class DialTarget(PeerAddress address, PeerId? expected, byte[]? publicKey)
    {
        public PeerAddress Address { get; } = address;

        public PeerId? Expected { get; } = expected;

        public byte[]? PublicKey { get; } = publicKey;

        public PeerId? ConnectedAs { get; set; }

        public bool InFlight { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset NextAttempt { get; set; }
    }
}
