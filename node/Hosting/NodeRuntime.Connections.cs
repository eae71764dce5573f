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

    private readonly Dictionary<string, DialTarget> _targets = new(StringComparer.Ordinal);
    private readonly Lock _targetsLock = new();

    private ConnectionOptions ConnectionOptions => ConnectionOptions.Default with
    {
        Handshake = HandshakeOptions.Default with { MeshId = _parts.MeshName, Allowlist = _parts.Allowlist },
    };

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

            if (_sessions.Count >= _parts.MaxConnections)
            {
                await pipe.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            _ = Task.Run(() => HandshakeAsync(pipe, initiator: false, pipe.RemoteEndPoint?.ToString() ?? "?", null, stop), stop);
        }
    }

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
        try
        {
            IPAddress[] addresses = target.Address.Ip is { } ip ? [ip] : await Dns.GetHostAddressesAsync(target.Address.Host, stop).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new TransportException(TransportErrorKind.Unreachable, $"{target.Address.Host} resolves to no address");
            }

            TcpPipe pipe = await TcpPipe.ConnectAsync(new IPEndPoint(addresses[0], target.Address.Port), stop).ConfigureAwait(false);
            PeerId? peer = await HandshakeAsync(pipe, initiator: true, target.Address.ToString(), target.PublicKey, stop).ConfigureAwait(false);
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
            // for the backoff; the dial loop itself never dies.
            if (!stop.IsCancellationRequested)
            {
                Log.DialFailed(_logger, target.Address.ToString(), ex.Message);
            }
        }
        finally
        {
            lock (_targetsLock)
            {
                target.InFlight = false;
                target.Failures = ok ? 0 : target.Failures + 1;
                // Capped exponential backoff with full jitter (Membership.Backoff): 1 s base, 60 s cap.
                TimeSpan wait = ok ? TimeSpan.Zero : Backoff.FullJitter(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), target.Failures, random);
                target.NextAttempt = _parts.Time.GetUtcNow() + wait;
            }
        }
    }

    /// <summary>Runs the handshake, then registers the session and pumps its frames into the engine.
    /// Returns the authenticated peer, or null when the handshake failed or the connection was a duplicate.</summary>
    private async Task<PeerId?> HandshakeAsync(TcpPipe pipe, bool initiator, string address, byte[]? pinned, CancellationToken stop)
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
            Log.HandshakeRejected(_logger, address, ex.Message);
            await pipe.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        PeerId peer = connection.RemotePeerId;
        if (peer == Self)
        {
            await connection.CloseAsync(ProtocolErrorCode.Shutdown, "connected to itself").ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var session = new PeerSession(connection, initiator, address, CountOut);
        if (!TryRegister(session))
        {
            await session.CloseAsync(ProtocolErrorCode.Shutdown, "duplicate connection").ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
            return peer;
        }

        Log.PeerConnected(_logger, peer.Value, address, initiator ? "outbound" : "inbound");
        byte[] publicKey = connection.Session.RemotePublicKey.ToArray();
        Post(() => _engine.Connected(peer, publicKey));
        _ = Task.Run(() => PumpAsync(session, pipe), CancellationToken.None);
        return peer;
    }

    /// <summary>
    /// One connection per peer pair. When both dialled each other at once, the connection initiated by the peer with
    /// the smaller id survives on both sides, so they agree without a message.
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

            bool newWins = Winner(session) && !Winner(existing);
            if (!newWins || !_sessions.TryUpdate(session.Peer, session, existing))
            {
                return false;
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

    private async Task PumpAsync(PeerSession session, TcpPipe pipe)
    {
        PeerId peer = session.Peer;
        try
        {
            await foreach (ReceivedFrame frame in session.Connection.Incoming.ReadAllAsync().ConfigureAwait(false))
            {
                using (frame)
                {
                    long wire = frame.Body.Length + PeerSession.FrameOverhead;
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
            }

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
