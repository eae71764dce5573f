using System.Diagnostics;
using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting.Internal;
using FedMesh.Node.Membership;
using FedMesh.Node.Metrics;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>
/// A running FedMesh node, composed of small services (Orleans' membership is the model): a
/// <see cref="ConnectionManager"/> over the injected transport (accept, dial, handshake, one session per peer), a
/// <see cref="MembershipService"/> (peer book, dial targets and backoff, max_peers, peer exchange, failure detection),
/// the <see cref="GossipActor"/> (every engine call on one loop), the <see cref="RoundLoop"/> and
/// <see cref="NodeTelemetry"/> (status, metrics, audit). Every long-running loop runs under one
/// <see cref="LoopSupervisor"/>: a fault in any of them stops the node with its reason. Shutdown is graceful: the
/// round in progress finishes or is abandoned at a step boundary, peers get Bye, the peer book is saved.
/// </summary>
public sealed partial class NodeRuntime : IAsyncDisposable
{
    private readonly NodeParts _parts;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly LoopSupervisor _supervisor;
    private readonly NodeTelemetry _telemetry;
    private readonly GossipActor _actor;
    private readonly MembershipService _membership;
    private readonly ConnectionManager _connections;
    private readonly RoundLoop? _rounds;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AdminServer? _admin;
    private AdminServer? _metricsServer;
    private MdnsDiscovery? _mdns;
    private UdpMulticastTransport? _mdnsTransport;
    private Task? _stopping;
    private volatile bool _loopsStarted;

    public NodeRuntime(NodeParts parts, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(loggers);
        if (parts.HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"NodeParts.HeartbeatInterval must be positive, got {parts.HeartbeatInterval}", nameof(parts));
        }

        _parts = parts;
        _logger = loggers.CreateLogger("FedMesh.Node");
        Loggers = loggers;
        Metrics = new NodeMetrics();
        // The listen port is filled in once bound (StartAsync), so port 0 announces the port actually chosen.
        var hello = new HelloMessage
        {
            PublicKey = parts.Identity.PublicKey.ToArray(),
            MeshId = parts.Mesh.MeshId,
            BaseModelHash = parts.Mesh.BaseModelHash,
            AdapterSchemaHash = parts.Mesh.Schema.Hash,
            ListenAddresses = [new PeerAddress(parts.Listen.Address.ToString(), Math.Max(1, parts.Listen.Port)).ToString()],
            SoftwareVersion = SoftwareVersion,
        };
        _supervisor = new LoopSupervisor(_logger, StopAsync, _stop.Token);
        _telemetry = new NodeTelemetry(parts, Metrics);
        _actor = new GossipActor(parts, hello, _telemetry, _logger, _stop.Token);
        _membership = new MembershipService(parts, loggers, _logger);
        _connections = new ConnectionManager(parts, loggers, _logger, _telemetry, _actor, _membership, _stop.Token);
        _membership.Attach(_connections);
        if (parts.Rounds is { } rounds)
        {
            _rounds = new RoundLoop(parts, rounds, _actor, _membership.Neighbours, _telemetry, _logger);
            _rounds.Completed += r => RoundCompleted?.Invoke(r);
        }

        _actor.Attach(_connections, _membership, _rounds, (d, from) => DeltaArrived?.Invoke(d, from));
    }

    /// <summary>Reported in Hello and `fedmesh --version`.</summary>
    public static string SoftwareVersion => "fedmesh/" + (typeof(NodeRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    public ILoggerFactory Loggers { get; }

    public NodeMetrics Metrics { get; }

    public PeerId Self => _parts.Identity.PeerId;

    /// <summary>The endpoint actually bound (port 0 in the options picks a free one).</summary>
    public IPEndPoint? ListenEndPoint => _connections.LocalEndPoint;

    /// <summary>The bound admin endpoint (port 0 in the options picks a free one); null when not served.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.BoundEndPoint;

    /// <summary>The bound metrics-only endpoint; null when not served separately.</summary>
    public IPEndPoint? MetricsEndPoint => _metricsServer?.BoundEndPoint;

    /// <summary>Raised (on the actor loop) for each verified delta; benchmarks and tests watch it.</summary>
    public event Action<StoredDelta, PeerId>? DeltaArrived;

    /// <summary>Raised after each round with its report.</summary>
    public event Action<RoundReport>? RoundCompleted;

    /// <summary>Completes when the node stops by itself (MaxRounds reached, or a loop fault) or is stopped.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Completes when every supervised loop has returned (faulted or not). <see cref="StopAsync"/> waits for them only
    /// 30 s, but a round may be inside a learner call that runs longer (a held-out evaluation under load takes
    /// minutes): whoever owns the learner awaits this before disposing it, so no loop ever calls into a disposed
    /// learner (in TorchSharp that is native memory freed under a running step).
    /// </summary>
    public Task LoopsEnded => Task.WhenAll(_supervisor.Loops).ContinueWith(static _ => { }, CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>The peers this node knows (what peers.json holds).</summary>
    public PeerBook PeerBook => _membership.Book;

    /// <summary>The peer-sampling partial view (Cyclon, SPEC.md §9.10): at most 8 peers; a round's neighbours are its
    /// connected members.</summary>
    public IReadOnlyList<PeerId> PeerView => _membership.View;

    /// <summary>Connections (inbound plus outbound, handshakes included) open at once, as <see cref="ConnectionSlots"/> counts them.</summary>
    internal int OpenConnections => _connections.OpenConnections;

    /// <summary>Admitted inbound sessions (<see cref="ConnectionManager.AdmittedInboundCount"/>): what the inbound cap
    /// bounds. Status lists every session, also a refused one still saying Bye and an inbound one whose Hello is not
    /// handled yet.</summary>
    internal int AdmittedInbound => _connections.AdmittedInboundCount;

    /// <summary>Sessions this node dialled (<see cref="ConnectionManager.OutboundCount"/>): what its dial budget
    /// counts.</summary>
    internal int OutboundSessions => _connections.OutboundCount;

    /// <summary>A dial (connect and handshake) is in flight or the gossip actor has work queued: tests on virtual time
    /// wait for this to clear before moving the clock again, so a loaded machine's slowness does not turn into
    /// handshake time-outs and suspected peers in virtual time.</summary>
    internal bool Busy => _membership.DialsInFlight > 0 || _actor.Backlog > 0;

    /// <summary>The gossip engine's assemblers the connections' read loops place chunks into (thread-safe; tests and
    /// the transfer benchmark look at which delta's chunks were placed).</summary>
    internal ChunkPlacements ChunkPlacements => _actor.Engine.Placements;

    /// <summary>Test seam (see <see cref="LoopSupervisor.FaultInjection"/>): called with each loop's name every
    /// iteration; a test throws from it to kill that loop.</summary>
    internal Action<string>? LoopFaultInjection
    {
        get => _supervisor.FaultInjection;
        set => _supervisor.FaultInjection = value;
    }

    /// <summary>Hash of a mesh name: what Hello and manifests carry as the 32-byte mesh id (SPEC.md §9.8).</summary>
    public static byte[] MeshIdFor(string meshName) => MeshId.FromName(meshName);

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
    public void AddDialTarget(PeerAddress address, PeerId? expected = null, byte[]? publicKey = null) =>
        _membership.AddDialTarget(address, expected, publicKey);

    /// <summary>A snapshot for `fedmesh status`, the admin endpoint and the demo table.</summary>
    public NodeStatus GetStatus() => _telemetry.Status(ListenEndPoint?.ToString() ?? string.Empty, _connections.Sessions);

    /// <summary><see cref="GetStatus"/>'s counters without the peer list: for callers that poll every round.</summary>
    public NodeCounters GetCounters() => _telemetry.Counters(_connections.SessionCount);

    /// <summary>
    /// Binds every socket first (gossip listener, admin and metrics endpoints), and only then starts the loops: a
    /// port clash throws <see cref="NodeStartException"/> naming the configuration key and address with nothing left
    /// running (a round loop still training in native code while the process exited was what crashed with SIGSEGV).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await BindAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await UnbindAsync().ConfigureAwait(false);
            throw;
        }

        IPEndPoint bound = _connections.LocalEndPoint!;
        Log.Listening(_logger, Self.Value, bound.ToString());
        IReadOnlyList<string> listen = [new PeerAddress(_parts.Listen.Address.ToString(), bound.Port).ToString()];
        _actor.Post(() => _actor.Engine.SetListenAddresses(listen));
        if (_admin is not null)
        {
            Log.AdminListening(_logger, _admin.Url);
        }

        if (_metricsServer is not null)
        {
            Log.MetricsListening(_logger, _metricsServer.Url);
        }

        WriteEndpoints();
        _supervisor.Start("actor", _ => _actor.RunAsync(_supervisor));
        _supervisor.Start("accept", stop => _connections.AcceptLoopAsync(_supervisor, stop));
        _supervisor.Start("dial", stop => _membership.DialLoopAsync(_supervisor, stop));
        _supervisor.Start("tick", stop => _actor.TickAsync(_supervisor, stop));
        _supervisor.Start("peerbook", stop => _membership.PersistLoopAsync(_supervisor, stop));
        if (_rounds is not null)
        {
            _supervisor.Start("round", RunRoundsAsync);
        }

        if (_parts.Mdns)
        {
            await StartMdnsAsync(cancellationToken).ConfigureAwait(false);
        }

        _loopsStarted = true;
        Metrics.Ready.Set(1);
    }

    private async Task RunRoundsAsync(CancellationToken stop)
    {
        if (await _rounds!.RunAsync(_supervisor, stop).ConfigureAwait(false))
        {
            // Finished the configured rounds: keep serving deltas to peers for one more period, then stop.
            _ = Task.Factory.StartNew(async () =>
            {
                await Task.Delay(_parts.RoundPeriod, _parts.Time, CancellationToken.None).ConfigureAwait(false);
                await StopAsync().ConfigureAwait(false);
            }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current);
        }
    }

    private async Task BindAsync(CancellationToken cancellationToken)
    {
        _connections.Bind();
        if (_parts.AdminListen is { } admin)
        {
            _admin = new AdminServer(admin, Metrics, GetStatus, Loggers) { Health = GetHealth };
            await StartEndpointAsync(_admin, "admin.listen", admin, cancellationToken).ConfigureAwait(false);
        }

        // The admin endpoint serves /metrics too, so the same address is served once; two port-0 addresses are two
        // endpoints (each gets its own free port).
        if (_parts.MetricsListen is { } metrics && (metrics.Port == 0 || !metrics.Equals(_parts.AdminListen)))
        {
            // Metrics only: the scrape endpoint is often opened to a monitoring network, status and peers are not.
            _metricsServer = new AdminServer(metrics, Metrics, status: null, Loggers) { Health = GetHealth };
            await StartEndpointAsync(_metricsServer, "metrics.listen", metrics, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task StartEndpointAsync(AdminServer server, string key, IPEndPoint address, CancellationToken cancellationToken)
    {
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new NodeStartException(key, address.ToString(), ex);
        }
    }

    /// <summary>Releases what <see cref="BindAsync"/> bound before it failed.</summary>
    private async Task UnbindAsync()
    {
        _connections.Unbind();
        foreach (AdminServer? server in new[] { _admin, _metricsServer })
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        _admin = null;
        _metricsServer = null;
    }

    /// <summary>Writes the bound ports to <see cref="NodeParts.EndpointsPath"/> for tools, tests and the demo.</summary>
    private void WriteEndpoints()
    {
        if (_parts.EndpointsPath is not { } path)
        {
            return;
        }

        var endpoints = new NodeEndpoints(
            Self.Value,
            Environment.ProcessId,
            _connections.LocalEndPoint!.ToString(),
            _admin?.Url,
            _metricsServer?.Url ?? (_parts.MetricsListen is not null ? _admin?.Url : null));
        try
        {
            endpoints.Write(path);
        }
        catch (IOException ex)
        {
            Log.EndpointsNotWritten(_logger, path, ex.Message);
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
            MdnsDiscovery mdns = _mdns;
            _supervisor.Start("mdns", stop => _membership.DiscoveryLoopAsync(mdns, _supervisor, stop));
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
        {
            // No multicast here (no interface, port in use, sandbox): seeds and peer exchange still work.
            Log.MdnsUnavailable(_logger, ex.Message);
        }
    }

    /// <summary>Stops everything: no new rounds, peers told Bye, state saved. Idempotent: every caller (the round
    /// loop after max_rounds, a faulted loop, the host, DisposeAsync) awaits the same stop, so nothing is disposed
    /// while a stop is still in progress.</summary>
    public Task StopAsync()
    {
        if (Volatile.Read(ref _stopping) is { } stopping)
        {
            return stopping;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _stopping, started.Task, null) is { } other)
        {
            return other;
        }

        _ = StopCoreAsync().ContinueWith(t =>
        {
            if (t.Exception is { } ex)
            {
                started.TrySetException(ex.InnerExceptions);
            }
            else
            {
                started.TrySetResult();
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
        return started.Task;
    }

    private async Task StopCoreAsync()
    {
        Metrics.Ready.Set(0);
        await _stop.CancelAsync().ConfigureAwait(false);
        _connections.Unbind();
        await _connections.CloseAllAsync().ConfigureAwait(false);
        _actor.Complete();
        try
        {
            await Task.WhenAll(_supervisor.Loops).WaitAsync(TimeSpan.FromSeconds(30), _parts.Time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            Log.ShutdownSlow(_logger, ex.Message);
        }

        if (_mdns is not null)
        {
            await _mdns.StopAsync().ConfigureAwait(false);
            await _mdns.DisposeAsync().ConfigureAwait(false);
            if (_mdnsTransport is not null)
            {
                await _mdnsTransport.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }

        if (_metricsServer is not null)
        {
            await _metricsServer.DisposeAsync().ConfigureAwait(false);
        }

        await _connections.DisposeAllAsync().ConfigureAwait(false);
        _membership.Save();
        _completion.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Publishes a delta made outside the round loop (benchmarks). Completes when it is stored and announced.</summary>
    public Task PublishAsync(SignedDelta delta, ReadOnlyMemory<byte> payload)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _actor.Post(() =>
        {
            _actor.Engine.Publish(delta, payload);
            done.TrySetResult();
        });
        return done.Task;
    }

    /// <summary>Restores the adapter from the newest valid checkpoint (a corrupt latest falls back to the previous).</summary>
    public long RestoreCheckpoint()
    {
        if (_parts.Checkpoints is not { } store || _parts.Learner is not { } learner)
        {
            return 0;
        }

        Storage.CheckpointLoadResult result = store.LoadLatest();
        foreach (Storage.SkippedCheckpoint skipped in result.Skipped)
        {
            Log.CheckpointSkipped(_logger, skipped.Path, skipped.Reason);
        }

        if (result.Loaded is not { } checkpoint || checkpoint.Payload.Length != learner.Schema.TotalElements * sizeof(float))
        {
            return 0;
        }

        float[] adapter = new float[learner.Schema.TotalElements];
        Buffer.BlockCopy(checkpoint.Payload, 0, adapter, 0, checkpoint.Payload.Length);
        learner.SetAdapter(adapter);
        _telemetry.ResumeAt(checkpoint.Round);
        _parts.Rounds?.ResumeRound(checkpoint.Round);
        Debug.Assert(checkpoint.Round >= 0);
        return checkpoint.Round;
    }
}
