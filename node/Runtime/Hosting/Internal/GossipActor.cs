using System.Threading.Channels;
using FedMesh.Node.Audit;
using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// The one loop that drives the <see cref="GossipEngine"/>: every engine call is an action queued here and run in
/// order, so the sans-IO engine needs no locks. As the engine's <see cref="IGossipHost"/> it routes what the engine
/// decides to the services that act on it: sends and closes to the connections, Hello and peer lists to membership,
/// verified and refused deltas to the round loop and telemetry.
/// </summary>
internal sealed class GossipActor : IGossipHost
{
    /// <summary>Engine actions queued at most; readers of the network wait when the engine falls behind.</summary>
    private const int Capacity = 4096;

    private readonly Channel<ActorItem> _queue = Channel.CreateBounded<ActorItem>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly NodeParts _parts;
    private readonly NodeTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private ConnectionManager? _connections;
    private MembershipService? _membership;
    private RoundLoop? _rounds;
    private Action<StoredDelta, PeerId>? _arrived;
    private ulong _pingNonce;

    public GossipActor(NodeParts parts, HelloMessage hello, NodeTelemetry telemetry, ILogger logger, CancellationToken stopping)
    {
        _parts = parts;
        _telemetry = telemetry;
        _logger = logger;
        _stopping = stopping;
        Engine = new GossipEngine(parts.Mesh, hello, parts.Gossip, new SequenceTracker(), parts.Time, new Random(parts.Seed), this, parts.Reputation is { } trust ? trust.PassedOverInFanout : null);
    }

    /// <summary>Touched only from actions run by this actor.</summary>
    public GossipEngine Engine { get; }

    /// <summary>Wires the services the engine's decisions go to (they are built after the actor, which they use).</summary>
    public void Attach(ConnectionManager connections, MembershipService membership, RoundLoop? rounds, Action<StoredDelta, PeerId> arrived)
    {
        _connections = connections;
        _membership = membership;
        _rounds = rounds;
        _arrived = arrived;
    }

    private ConnectionManager Connections => _connections ?? throw new InvalidOperationException("actor not attached");

    /// <summary>Runs an action on the actor; when the queue is full, waits in the background (backpressure to
    /// whoever produced the work) unless the node is stopping.</summary>
    public void Post(Action action)
    {
        if (!_queue.Writer.TryWrite(new ActorItem(action, null)))
        {
            _ = _queue.Writer.WriteAsync(new ActorItem(action, null), _stopping).AsTask().ContinueWith(
                t =>
                {
                    // While the node stops, the queue is closed and the wait cancelled on purpose (a session that
                    // ends with the node posts its disconnect here): dropping is the shutdown, not a fault to warn of.
                    Exception? failure = t.Exception?.GetBaseException();
                    if (!_stopping.IsCancellationRequested && failure is not ChannelClosedException)
                    {
                        Log.ActorDropped(_logger, failure?.Message ?? "cancelled");
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.NotOnRanToCompletion,
                TaskScheduler.Current);
        }
    }

    /// <summary>Queues an action, waiting while the queue is full: a connection's reader waits here when the engine
    /// is behind, which is what bounds the memory a fast peer can make this node hold.</summary>
    public ValueTask PostAsync(IActorWork work) => _queue.Writer.WriteAsync(new ActorItem(null, work), _stopping);

    /// <summary>Actions queued and not yet run.</summary>
    public int Backlog => _queue.Reader.Count;

    /// <summary>No more actions; the loop ends once the queue is drained.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(LoopSupervisor supervisor)
    {
        await foreach (ActorItem item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            supervisor.Iteration("actor");
            try
            {
                if (item.Action is { } action)
                {
                    action();
                }
                else
                {
                    item.Work!.Run();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in one message's handling must not take the node down; it is logged loudly.
                Log.ActorFailed(_logger, ex);
            }
        }
    }

    public async Task TickAsync(LoopSupervisor supervisor, CancellationToken stop)
    {
        // Engine upkeep every heartbeat interval (1 s by default): stalled pulls move on (the stall timeout itself is
        // 10 s), sessions get a ping (the heartbeat membership's failure detector listens to).
        using var timer = new PeriodicTimer(_parts.HeartbeatInterval, _parts.Time);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            supervisor.Iteration("tick");
            Post(() =>
            {
                Engine.Tick();
                _pingNonce++;
                foreach (PeerId peer in Engine.ReadyPeers)
                {
                    // Only the side that dialled pings (SPEC.md §7: a receiver answers and need not ping itself): its
                    // Ping feeds the other side's failure detector and the Pong feeds its own, so one Ping per session
                    // and tick keeps both detectors fed with half the frames of both sides pinging.
                    if (Connections.TryGetSession(peer, out PeerSession? session) && session.Initiator)
                    {
                        Send(peer, new PingMessage(_pingNonce));
                    }
                }
            });
            _membership?.Tick();
            _telemetry.PeerCount(Connections.SessionCount);
        }
    }

    public void Send(PeerId peer, WireMessage message) => Connections.SendForEngine(peer, message);

    public void Close(PeerId peer, ProtocolErrorCode code, string reason)
    {
        Log.PeerClosed(_logger, peer.Value, code.ToString(), reason);
        Connections.Close(peer, code, reason);
    }

    public void PeerReady(PeerId peer, HelloMessage hello)
    {
        Log.PeerReady(_logger, peer.Value, hello.SoftwareVersion);
        _membership?.PeerReady(peer, hello);
    }

    public void DeltaVerified(StoredDelta delta, PeerId from)
    {
        _telemetry.DeltaReceived();
        _rounds?.Arrived(delta, from);
        _arrived?.Invoke(delta, from);
    }

    public void DeltaRejected(PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason)
    {
        _telemetry.DeltaRejected(code.ToString());
        Log.DeltaRejected(_logger, from.Value, contentIdHex ?? "?", code.ToString(), reason);
        if (code is ProtocolErrorCode.BadSignature or ProtocolErrorCode.BadChunkHash)
        {
            _parts.Reputation?.RecordTransportFault(from);
        }

        _telemetry.Audit(new AuditRecord(AuditEventKind.Rejected, from.Value, contentIdHex ?? string.Empty, 0, double.NaN, double.NaN, double.NaN, "rejected", $"{code}: {reason}"));
    }

    public void ControlMessage(PeerId peer, WireMessage message)
    {
        if (message is ErrorMessage error)
        {
            // A peer reports that something this node sent it was rejected (SPEC.md §4.9); the connection stays.
            Log.PeerReportedError(_logger, peer.Value, error.Code.ToString(), error.Text);
        }

        if (message is PeerListMessage list)
        {
            _membership?.PeerList(peer, list);
        }
    }

    /// <summary>A queued action: a delegate, or work that is its own object (<see cref="IActorWork"/>).</summary>
    private readonly record struct ActorItem(Action? Action, IActorWork? Work);
}

/// <summary>
/// Work for the <see cref="GossipActor"/> that carries its own state: one object per item, where a lambda is a
/// closure plus a delegate. For what is posted per received frame (a closure and a delegate per frame were 3 % of a
/// 1,000-node netsim run's allocations).
/// </summary>
internal interface IActorWork
{
    void Run();
}
