using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// The node's connections over the injected <see cref="ITransportFactory"/>: admission of inbound connections
/// (address rate, then a <see cref="ConnectionSlots"/> lease that also counts handshakes in progress), dialling,
/// the secure handshake, one session per peer (<see cref="DuplicateRule"/> tie-breaks), and one pump per session
/// that decodes frames into the gossip actor. Which addresses to dial is membership's decision, not this class's.
/// </summary>
internal sealed class ConnectionManager
{
    /// <summary>Refused connections and failed handshakes: at most one line per address per minute during a flood.</summary>
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>Addresses (or peer ids) whose log lines are throttled at once; beyond it the oldest is forgotten.</summary>
    private const int MaxThrottledKeys = 1024;

    private readonly NodeParts _parts;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly NodeTelemetry _telemetry;
    private readonly GossipActor _actor;
    private readonly MembershipService _membership;
    private readonly CancellationToken _stopping;
    private readonly ConcurrentDictionary<PeerId, PeerSession> _sessions = new();

    /// <summary>Sessions in <see cref="_sessions"/> this node dialled (<see cref="OutboundCount"/>), kept by
    /// <see cref="CountOutbound"/>.</summary>
    private int _outbound;

    /// <summary>
    /// The session whose frames the gossip engine takes for each peer, read and written on the actor's thread only
    /// (in the order the actor runs connects, frames and disconnects). The engine knows peers, not sessions; when a
    /// crossed dial replaces a session (SPEC.md §9.8), frames the old one had already read arrive after the engine
    /// was told of the new one: its Bye made the engine forget the peer while the new session stayed up (two
    /// daemons connected, exchanging nothing, for good), and its other frames came "before Hello" and closed the
    /// new session. Frames of a session that is no longer the engine's are dropped (a placed chunk's slot freed).
    /// Each session's <see cref="PeerSession.IsEngineSession"/> says whether it is the one here (kept with every
    /// write), so a delivered frame is checked without a lookup.
    /// </summary>
    private readonly Dictionary<PeerId, PeerSession> _engineSessions = [];
    private readonly ConnectionSlots _slots;
    private readonly AddressRateLimiter _addressRates;
    private readonly LogThrottle _refusalLog;
    private readonly LogThrottle _handshakeLog;
    private readonly LogThrottle _duplicateLog;
    private readonly ConnectionOptions _options;
    private ITransportListener? _listener;

    public ConnectionManager(NodeParts parts, ILoggerFactory loggers, ILogger logger, NodeTelemetry telemetry, GossipActor actor, MembershipService membership, CancellationToken stopping)
    {
        _parts = parts;
        _loggers = loggers;
        _logger = logger;
        _telemetry = telemetry;
        _actor = actor;
        _membership = membership;
        _stopping = stopping;
        _slots = new ConnectionSlots(NodeRuntime.ConnectionLimitsFor(parts.MaxConnections));
        _addressRates = new AddressRateLimiter(parts.Time, parts.AddressRates);
        _refusalLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
        _handshakeLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
        _duplicateLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
        if (parts.SimulatedCrypto && !parts.Transport.InProcess)
        {
            throw new InvalidOperationException("simulated crypto (no handshake cryptography, no AEAD) runs only over an in-process transport");
        }

        _options = ConnectionOptions.Default with
        {
            SimulatedCrypto = parts.SimulatedCrypto,
            Handshake = HandshakeOptions.Default with { MeshId = parts.MeshName, Allowlist = parts.Allowlist, Timeout = parts.HandshakeTimeout },
        };
    }

    /// <summary>The address actually bound, once <see cref="Bind"/> ran; null again after <see cref="Unbind"/> (read from a
    /// copy taken at bind: the listener's socket refuses the question once disposed, and /healthz asks during a stop).</summary>
    public IPEndPoint? LocalEndPoint => Volatile.Read(ref _bound);

    private IPEndPoint? _bound;

    /// <summary>Connections (inbound plus outbound, handshakes included) open at once, as <see cref="ConnectionSlots"/> counts them.</summary>
    public int OpenConnections => _slots.Inbound + _slots.Outbound;

    public int SessionCount => _sessions.Count;

    /// <summary>Sessions this node dialled (the surviving connection of a pair was initiated here).</summary>
    public int OutboundCount => Volatile.Read(ref _outbound);

    /// <summary>Sessions other nodes dialled that membership admitted under the inbound cap and that are not closing
    /// (SPEC.md §9.10): what the cap bounds. A refused session still saying Bye and an inbound one whose Hello is not
    /// handled yet are registered but not counted.</summary>
    public int AdmittedInboundCount => CountSessions(s => !s.Initiator && s.Admitted && !s.IsClosing);

    /// <summary>Sessions matching <paramref name="match"/>. Enumerates the dictionary itself, which takes no lock and
    /// copies nothing (Values takes every lock and copies the sessions into a list; the dial loop asks every tick); a
    /// count racing a registration is as stale as a locked one a moment later.</summary>
    private int CountSessions(Func<PeerSession, bool> match)
    {
        int count = 0;
        foreach (KeyValuePair<PeerId, PeerSession> entry in _sessions)
        {
            count += match(entry.Value) ? 1 : 0;
        }

        return count;
    }

    public ICollection<PeerSession> Sessions => _sessions.Values;

    /// <summary>The sessions now, in <see cref="Sessions"/>' order. Like <see cref="CountSessions"/> it enumerates the
    /// dictionary in place (no lock taken, no copy through <see cref="Sessions"/>), for callers that run every tick or
    /// round.</summary>
    public List<PeerSession> SessionsNow()
    {
        // Sized by the count (a hint: sessions may come and go meanwhile), not grown from 4.
        var sessions = new List<PeerSession>(_sessions.Count);
        foreach (KeyValuePair<PeerId, PeerSession> entry in _sessions)
        {
            sessions.Add(entry.Value);
        }

        return sessions;
    }

    public bool IsConnected(PeerId peer) => _sessions.ContainsKey(peer);

    /// <summary>The peers with a session now, in id order (not the dictionary's hash order: runs must not depend on it).</summary>
    public IReadOnlyList<PeerId> ConnectedPeers()
    {
        var peers = new List<PeerId>(_sessions.Count);
        AddConnectedPeers(peers);
        peers.Sort(ById);
        return peers;
    }

    /// <summary>Adds the peers with a session now to <paramref name="peers"/> in the sessions' hash order, for a caller
    /// that keeps some of them and sorts those (<see cref="ById"/>) itself. The sessions are walked in place, not a
    /// locked copy of the keys.</summary>
    public void AddConnectedPeers(List<PeerId> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        foreach (KeyValuePair<PeerId, PeerSession> entry in _sessions)
        {
            peers.Add(entry.Key);
        }
    }

    /// <summary>Id order (ordinal), the order the connected peers are handed out in. Ids are unique, so any sort by it
    /// gives the one order OrderBy gave.</summary>
    public static int ById(PeerId a, PeerId b) => string.CompareOrdinal(a.Value, b.Value);

    public bool TryGetSession(PeerId peer, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PeerSession? session) => _sessions.TryGetValue(peer, out session);

    /// <exception cref="NodeStartException">The listen address cannot be bound.</exception>
    public void Bind()
    {
        try
        {
            _listener = _parts.Transport.Listen(_parts.Listen);
            Volatile.Write(ref _bound, _listener.LocalEndPoint);
        }
        catch (TransportException ex)
        {
            throw new NodeStartException("network.listen_address/listen_port", _parts.Listen.ToString(), ex);
        }
    }

    /// <summary>Stops accepting (idempotent).</summary>
    public void Unbind()
    {
        Volatile.Write(ref _bound, null);
        _listener?.Dispose();
    }

    public async Task AcceptLoopAsync(LoopSupervisor supervisor, CancellationToken stop)
    {
        ITransportListener listener = _listener ?? throw new InvalidOperationException("not bound");
        while (!stop.IsCancellationRequested)
        {
            supervisor.Iteration("accept");
            TransportConnection connection;
            try
            {
                connection = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException)
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
            IPAddress remote = connection.RemoteEndPoint is { } ep ? Normalize(ep.Address) : IPAddress.None;
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
                _telemetry.ConnectionRefused();
                if (_refusalLog.ShouldLog(remote.ToString(), out int suppressed))
                {
                    Log.ConnectionRefused(_logger, remote.ToString(), reason, suppressed);
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            string address = connection.RemoteEndPoint?.ToString() ?? "?";
            _ = Spawn(() => HandshakeAsync(connection, lease, initiator: false, address, null, stop));
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Starts work on the current task scheduler (the thread pool in the daemon).</summary>
    private static Task Spawn(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current).Unwrap();

    /// <summary>Dials <paramref name="target"/> and runs the handshake; throws what the transport or handshake threw.</summary>
    public async Task<(DialOutcome Outcome, PeerId? Peer)> DialAsync(PeerAddress target, byte[]? pinnedKey, CancellationToken stop)
    {
        IPAddress[] addresses = target.Ip is { } ip ? [ip] : await _parts.Transport.ResolveAsync(target.Host, stop).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new TransportException(TransportErrorKind.Unreachable, $"{target.Host} resolves to no address");
        }

        // The outbound slot is taken before connecting, so dials in progress count towards max_connections too.
        ConnectionSlots.Lease? lease = _slots.TryAcquire(ConnectionDirection.Outbound, addresses[0], out _);
        if (lease is null)
        {
            return (DialOutcome.NoSlot, null);
        }

        TransportConnection connection;
        try
        {
            connection = await _parts.Transport.ConnectAsync(new IPEndPoint(addresses[0], target.Port), stop).ConfigureAwait(false);
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        PeerId? peer = await HandshakeAsync(connection, lease, initiator: true, target.ToString(), pinnedKey, stop).ConfigureAwait(false);
        return (peer is null ? DialOutcome.Failed : DialOutcome.Connected, peer);
    }

    /// <summary>Runs the handshake, then registers the session and pumps its frames into the engine. Owns
    /// <paramref name="lease"/> (released when the connection ends). Returns the authenticated peer, or null when the
    /// handshake failed or the peer was this node itself.</summary>
    private async Task<PeerId?> HandshakeAsync(TransportConnection transport, ConnectionSlots.Lease lease, bool initiator, string address, byte[]? pinned, CancellationToken stop)
    {
        SecureConnection connection;
        try
        {
            ILogger log = _loggers.CreateLogger("FedMesh.Transport");
            connection = initiator
                ? await SecureConnection.ConnectAsync(transport.Pipe, _parts.Identity, _options, pinned is null ? (ReadOnlyMemory<byte>?)null : pinned, _parts.Time, log, stop).ConfigureAwait(false)
                : await SecureConnection.AcceptAsync(transport.Pipe, _parts.Identity, _options, _parts.Time, log, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProtocolException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            lease.Dispose();
            // Throttled per address and reason: a flood of bad or silent handshakes must not flood the log as well,
            // while a different failure from the same host (another node rejected for another reason) still shows.
            if (_handshakeLog.ShouldLog(HostOf(address) + " " + ex.Message, out int suppressed))
            {
                Log.HandshakeRejected(_logger, address, ex.Message, suppressed);
            }

            await transport.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        lease.MarkEstablished();
        PeerId peer = connection.RemotePeerId;
        if (peer == _parts.Identity.PeerId)
        {
            lease.Dispose();
            await connection.CloseAsync(ProtocolErrorCode.Shutdown, "connected to itself").ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var session = new PeerSession(connection, initiator, address, _parts.Time, _telemetry.BytesOut);
        if (!TryRegister(session))
        {
            lease.Dispose();
            await session.CloseAsync(ProtocolErrorCode.Shutdown, DuplicateRule.ByeReason).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
            return peer;
        }

        // From the next frame on, chunks of deltas this peer is the source of are decrypted into their assemblers
        // (Placements is the engine's one thread-safe part); on in the daemon (NodeParts.PlaceChunks).
        if (_parts.PlaceChunks)
        {
            connection.ChunkSlots = _actor.Engine.Placements.For(peer);
        }
        Log.PeerConnected(_logger, peer.Value, address, initiator ? "outbound" : "inbound");
        byte[] publicKey = connection.Session.RemotePublicKey.ToArray();
        _membership.Connected(peer);
        _actor.Post(() =>
        {
            if (_engineSessions.TryGetValue(peer, out PeerSession? replaced))
            {
                replaced.IsEngineSession = false;
            }

            _engineSessions[peer] = session;
            session.IsEngineSession = true;
            _actor.Engine.Connected(peer, publicKey);
        });
        _ = Spawn(() => PumpAsync(session, transport, lease));
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
    /// <item>otherwise (both dialled each other at once, one dialled two of the other's addresses at once, or the old
    /// session went quiet) the tie-break of <see cref="DuplicateRule.Precedes"/> (the smaller initiator id, then the
    /// smaller transcript hash) picks the same connection on both sides, so they agree without a message; a stale
    /// session yields.</item>
    /// </list>
    /// </summary>
    private bool TryRegister(PeerSession session)
    {
        while (true)
        {
            if (_sessions.TryAdd(session.Peer, session))
            {
                CountOutbound(session, +1);
                return true;
            }

            if (!_sessions.TryGetValue(session.Peer, out PeerSession? existing))
            {
                continue;
            }

            bool newPrecedes = DuplicateRule.Precedes(
                Winner(session), session.Connection.Session.TranscriptHash.Span, Winner(existing), existing.Connection.Session.TranscriptHash.Span);
            DuplicateOutcome outcome = DuplicateRule.Decide(_parts.Time.GetUtcNow(), existing.Established, existing.LastReceived, newPrecedes, _options);
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

            CountOutbound(existing, -1);
            CountOutbound(session, +1);

            if (outcome == DuplicateOutcome.ReplaceStale)
            {
                Log.StaleSessionReplaced(_logger, session.Peer.Value, existing.Address, session.Address);
            }

            _ = existing.CloseAsync(ProtocolErrorCode.Shutdown, DuplicateRule.ByeReason);
            return true;
        }
    }

    /// <summary>Keeps <see cref="OutboundCount"/> with each change of the sessions dictionary: the dial loop asks
    /// for it every tick, and the scan of every session it replaced was 1.3 % of a 1,000-node netsim run's CPU.</summary>
    private void CountOutbound(PeerSession session, int change)
    {
        if (session.Initiator)
        {
            Interlocked.Add(ref _outbound, change);
        }
    }

    /// <summary>Whether <paramref name="s"/> was initiated by the side with the smaller peer id (the first key of the
    /// tie-break, SPEC.md §9.8).</summary>
    private bool Winner(PeerSession s)
    {
        string self = _parts.Identity.PeerId.Value;
        string initiatorId = s.Initiator ? self : s.Peer.Value;
        string responderId = s.Initiator ? s.Peer.Value : self;
        return string.CompareOrdinal(initiatorId, responderId) < 0;
    }

    private async Task PumpAsync(PeerSession session, TransportConnection transport, ConnectionSlots.Lease lease)
    {
        PeerId peer = session.Peer;
        try
        {
            await foreach (ReceivedFrame frame in session.Connection.Incoming.ReadAllAsync().ConfigureAwait(false))
            {
                bool handedOver = false;
                try
                {
                    long wire = frame.Length + session.FrameOverhead;
                    session.CountIn(wire);
                    if (PeerSession.IsTransfer(frame.Type))
                    {
                        session.TransferSeen();
                    }
                    _telemetry.BytesIn(wire);
                    _membership.Heard(peer);
                    WireMessage message;
                    try
                    {
                        // A placed chunk is already in its assembler's slot (hashed there by the read loop); any other
                        // chunk's data stays a slice of the frame's buffer (borrowed, not copied): the frame lives
                        // until the engine has taken the message, which copies what it keeps.
                        message = frame.PlacedChunk ?? MessageCodec.DecodeBorrowed(frame.Type, frame.Body);
                    }
                    catch (ProtocolException ex)
                    {
                        Log.BadMessage(_logger, peer.Value, ex.Message);
                        await session.CloseAsync(ex.Code, ex.Message).ConfigureAwait(false);
                        break;
                    }

                    if (message is ByeMessage { Code: ProtocolErrorCode.Shutdown, Text: DuplicateRule.ByeReason })
                    {
                        session.DuplicateByPeer = true;
                    }

                    if (message is ByeMessage { Code: ProtocolErrorCode.Overloaded })
                    {
                        // The peer is over its inbound cap (or finds this node too slow): a busy node, not a bad
                        // address; membership holds off redialling it and dials the peers it listed instead.
                        session.RefusedByPeer = true;
                        _membership.Refused(peer, session.Initiator);
                    }

                    // Back-pressure: when the engine is behind, this peer's reads wait here (bounded actor queue).
                    await _actor.PostAsync(new Delivery(this, session, message, frame)).ConfigureAwait(false);
                    handedOver = true;
                }
                finally
                {
                    if (!handedOver)
                    {
                        frame.Dispose();
                    }
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
                CountOutbound(session, -1);
                _actor.Post(() =>
                {
                    if (session.IsEngineSession)
                    {
                        _engineSessions.Remove(peer);
                        session.IsEngineSession = false;
                        _actor.Engine.Disconnected(peer);
                    }
                });
                // Closed by the other side as a duplicate within moments of the handshake while no other session to
                // that peer exists: it keeps another session for our key (SPEC.md §9.8). Normally that is this node's
                // own winner of a crossed dial, not finished here yet; WarnIfNoSessionFollowsAsync tells the two apart.
                if (!_stopping.IsCancellationRequested && !session.ClosedLocally && session.DuplicateByPeer && !_sessions.ContainsKey(peer)
                    && DuplicateRule.ClosedSoonAfterHandshake(session.Established, _parts.Time.GetUtcNow(), _options))
                {
                    _ = Spawn(() => WarnIfNoSessionFollowsAsync(session));
                }
            }

            _membership.Disconnected(peer, _sessions.ContainsKey(peer));
            lease.Dispose();
            await session.DisposeAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Warns of a copied key (6063) when a session <paramref name="closed"/> by its peer as a duplicate right after the
    /// handshake is followed by no session to that peer within a crossed-dial window. The session the peer kept is
    /// normally this node's own: the winner of a crossed dial, or of this node's dials to two of the peer's addresses,
    /// whose handshake here can finish after the loser's Bye arrived (each connection is its own stream: in the
    /// walk-through both daemons warned at their first start over exactly that). That winner's handshake began before
    /// the Bye was sent, so it finishes within one <see cref="DuplicateRule.CrossedDialWindow"/> of it. If none has
    /// by then, the peer keeps its session with another node holding this node's key.
    /// </summary>
    private async Task WarnIfNoSessionFollowsAsync(PeerSession closed)
    {
        TimeSpan window = DuplicateRule.CrossedDialWindow(_options);
        try
        {
            await Task.Delay(window, _parts.Time, _stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!_sessions.ContainsKey(closed.Peer) && _duplicateLog.ShouldLog(closed.Peer.Value, out int suppressed))
        {
            Log.ClosedRightAfterHandshake(_logger, closed.Peer.Value, closed.Address, window.TotalSeconds, suppressed);
        }
    }

    /// <summary>A received message for the engine, run on the actor; owns the frame its message may borrow from.</summary>
    private sealed class Delivery(ConnectionManager connections, PeerSession session, WireMessage message, ReceivedFrame frame) : IActorWork
    {
        public void Run()
        {
            try
            {
                if (session.IsEngineSession)
                {
                    connections._actor.Engine.Receive(session.Peer, message);
                }
            }
            finally
            {
                // Returns the buffer, or frees a placed chunk's slot the engine did not accept.
                frame.Dispose();
            }
        }
    }

    /// <summary>Queues a message for a peer on its current session; a peer whose queue is full is not reading and is dropped.</summary>
    public void Send(PeerId peer, WireMessage message)
    {
        if (_sessions.TryGetValue(peer, out PeerSession? session))
        {
            Send(session, message);
        }
    }

    /// <summary>
    /// Queues a message the gossip engine sends (actor thread only) on the session the engine was told of, not the
    /// peer's current one. When a crossed dial replaced a session after its Connected was queued, the engine's Hello
    /// for the old session went out on the new one, whose own Connected then sent a second Hello: the peer closed it
    /// ("second Hello") and both sessions were gone. Both sides redial at the same dial tick, so the pair crossed
    /// again and again (nodes of the heal test stayed unlinked for minutes with every dial "connected").
    /// </summary>
    public void SendForEngine(PeerId peer, WireMessage message)
    {
        if (_engineSessions.TryGetValue(peer, out PeerSession? session))
        {
            Send(session, message);
        }
    }

    private void Send(PeerSession session, WireMessage message)
    {
        PeerId peer = session.Peer;
        if (session.TrySend(message))
        {
            return;
        }

        if (session.IsClosing)
        {
            // Closing (it was sent Bye, e.g. after a malformed message): not a peer that stopped reading.
            return;
        }

        Log.PeerOverloaded(_logger, peer.Value);
        _ = session.CloseAsync(ProtocolErrorCode.Overloaded, "peer does not read fast enough");
    }

    public void Close(PeerId peer, ProtocolErrorCode code, string reason)
    {
        if (_sessions.TryGetValue(peer, out PeerSession? session))
        {
            _ = session.CloseAsync(code, reason);
        }
    }

    /// <summary>Tells every peer Bye (stop).</summary>
    public async Task CloseAllAsync()
    {
        // In peer-id order (not the dictionary's hash order), so a simulated shutdown is the same in every process.
        foreach (PeerSession session in _sessions.Values.OrderBy(s => s.Peer.Value, StringComparer.Ordinal))
        {
            try
            {
                await session.CloseAsync(ProtocolErrorCode.Shutdown, "node shutting down").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or ProtocolException or IOException)
            {
                // The connection ended on its own while we were stopping; nothing left to close.
            }
        }
    }

    public async Task DisposeAllAsync()
    {
        foreach (PeerSession session in _sessions.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
