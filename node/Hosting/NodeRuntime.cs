using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using FedMesh.Node.Audit;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Membership;
using FedMesh.Node.Mesh;
using FedMesh.Node.Metrics;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>Everything a running node is made of, assembled by <see cref="NodeFactory"/> (or a test/benchmark).</summary>
public sealed record NodeParts
{
    public required NodeIdentity Identity { get; init; }

    public required LocalMesh Mesh { get; init; }

    /// <summary>The mesh name (handshake binding and mDNS TXT); <see cref="LocalMesh.MeshId"/> is its hash.</summary>
    public required string MeshName { get; init; }

    public required IPEndPoint Listen { get; init; }

    public IReadOnlyList<Seed> Seeds { get; init; } = [];

    public IReadOnlySet<PeerId>? Allowlist { get; init; }

    public bool Mdns { get; init; }

    /// <summary>Most connections at once, handshakes in progress included (network.max_connections); split into
    /// inbound and outbound slots by <see cref="NodeRuntime.ConnectionLimitsFor"/>.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Inbound connection attempts per remote address.</summary>
    public AddressRateOptions AddressRates { get; init; } = AddressRateOptions.Default;

    /// <summary>A handshake not finished within this is abandoned and its slot freed (SPEC.md §3).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeOptions.Default.Timeout;

    public GossipOptions Gossip { get; init; } = GossipOptions.Default;

    /// <summary>The learning side; null for a relay-only node (benchmarks).</summary>
    public RoundCoordinator? Rounds { get; init; }

    public Learning.ILearner? Learner { get; init; }

    /// <summary>Documents the node reports held-out bpc on (its local holdout).</summary>
    public IReadOnlyList<string> HeldOut { get; init; } = [];

    public TimeSpan RoundPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop after this many rounds (0 = run until stopped).</summary>
    public long MaxRounds { get; init; }

    public AuditLog? Audit { get; init; }

    public Privacy.PrivacyLedger? Ledger { get; init; }

    /// <summary>Whether deltas are noised and charged to <see cref="Ledger"/>; with DP off the ledger is kept only
    /// for what earlier releases spent, and status says "off" instead of that old budget state.</summary>
    public bool PrivacyEnabled { get; init; } = true;

    public Reputation.ReputationTracker? Reputation { get; init; }

    /// <summary>Address of the Prometheus endpoint ([metrics]); null = not served; port 0 picks a free one. When it
    /// equals <see cref="AdminListen"/> the admin endpoint's /metrics serves it.</summary>
    public IPEndPoint? MetricsListen { get; init; }

    public Storage.CheckpointStore? Checkpoints { get; init; }

    public PeerBook? PeerBook { get; init; }

    public string? PeerBookPath { get; init; }

    public string? SequencePath { get; init; }

    /// <summary>Writes the current adapter in the export format (safetensors + JSON) after each round.</summary>
    public Action<Learning.ILearner>? Export { get; init; }

    /// <summary>Address of the admin endpoint ([admin]); null = not served; port 0 picks a free one.</summary>
    public IPEndPoint? AdminListen { get; init; }

    /// <summary>Where the bound ports are written at start (<see cref="NodeEndpoints"/>); null = nowhere.</summary>
    public string? EndpointsPath { get; init; }

    /// <summary>Where connections come from: TCP in the daemon, in-memory pipes in tests and the simulator.</summary>
    public Transport.ITransportFactory Transport { get; init; } = FedMesh.Node.Transport.TcpTransportFactory.Instance;

    /// <summary>The only clock the runtime reads (timers, timeouts, backoff, status).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Seeds every random choice the runtime makes (gossip fan-out, dial jitter, mDNS timing), so a host that
    /// passes a fixed seed gets the same choices each run.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// A running FedMesh node: accepts and dials secure connections, drives the <see cref="GossipEngine"/> from one
/// actor loop (every engine call happens there), runs learning rounds on their own task, and exposes status and
/// metrics. Shutdown is graceful: the round in progress finishes or is abandoned at a step boundary, peers get Bye.
/// </summary>
public sealed partial class NodeRuntime : IAsyncDisposable, IGossipHost
{
    /// <summary>Engine actions queued at most; readers of the network wait when the engine falls behind.</summary>
    private const int ActorCapacity = 4096;

    private readonly NodeParts _parts;
    private readonly ILogger _logger;
    private readonly Channel<Action> _actor = Channel.CreateBounded<Action>(new BoundedChannelOptions(ActorCapacity) { SingleReader = true });
    private readonly ConcurrentDictionary<PeerId, PeerSession> _sessions = new();
    private readonly ConcurrentQueue<(StoredDelta Delta, float[] State)> _offers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly GossipEngine _engine;
    private readonly List<Task> _tasks = [];
    private readonly DateTimeOffset _started;
    private Transport.ITransportListener? _listener;
    private AdminServer? _admin;
    private AdminServer? _metricsServer;
    private MdnsDiscovery? _mdns;
    private UdpMulticastTransport? _mdnsTransport;

    public NodeRuntime(NodeParts parts, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(loggers);
        _parts = parts;
        _logger = loggers.CreateLogger("FedMesh.Node");
        Loggers = loggers;
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
        var sequences = new SequenceTracker();
        _engine = new GossipEngine(parts.Mesh, hello, parts.Gossip, sequences, parts.Time, new Random(parts.Seed), this);
        _started = parts.Time.GetUtcNow();
        Metrics = new NodeMetrics();
        _slots = new ConnectionSlots(ConnectionLimitsFor(parts.MaxConnections));
        _addressRates = new AddressRateLimiter(parts.Time, parts.AddressRates);
        _dialLog = new LogThrottle(parts.Time, DialLogInterval, MaxThrottledKeys);
        _refusalLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
        _handshakeLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
        _duplicateLog = new LogThrottle(parts.Time, RefusalLogInterval, MaxThrottledKeys);
    }

    /// <summary>Reported in Hello and `fedmesh --version`.</summary>
    public static string SoftwareVersion => "fedmesh/" + (typeof(NodeRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    public ILoggerFactory Loggers { get; }

    public NodeMetrics Metrics { get; }

    public PeerId Self => _parts.Identity.PeerId;

    /// <summary>The TCP endpoint actually bound (port 0 in the options picks a free one).</summary>
    public IPEndPoint? ListenEndPoint => _listener?.LocalEndPoint;

    /// <summary>Raised (on the actor loop) for each verified delta; benchmarks and tests watch it.</summary>
    public event Action<StoredDelta, PeerId>? DeltaArrived;

    /// <summary>Raised after each round with its report.</summary>
    public event Action<RoundReport>? RoundCompleted;

    /// <summary>Completes when the node stops by itself (MaxRounds reached) or is stopped.</summary>
    public Task Completion => _completion.Task;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Hash of a mesh name: what Hello and manifests carry as the 32-byte mesh id (SPEC.md §9.8).</summary>
    public static byte[] MeshIdFor(string meshName) => MeshId.FromName(meshName);

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

        Log.Listening(_logger, Self.Value, _listener!.LocalEndPoint.ToString());
        _engine.SetListenAddresses([new PeerAddress(_parts.Listen.Address.ToString(), _listener.LocalEndPoint.Port).ToString()]);
        if (_admin is not null)
        {
            Log.AdminListening(_logger, _admin.Url);
        }

        if (_metricsServer is not null)
        {
            Log.MetricsListening(_logger, _metricsServer.Url);
        }

        WriteEndpoints();
        _tasks.Add(Task.Run(ActorLoopAsync));
        _tasks.Add(Supervise("accept", () => AcceptLoopAsync(_stop.Token)));
        _tasks.Add(Supervise("dial", () => DialLoopAsync(_stop.Token)));
        _tasks.Add(Supervise("tick", () => TickLoopAsync(_stop.Token)));
        if (_parts.Rounds is not null)
        {
            _tasks.Add(Supervise("round", () => RoundLoopAsync(_stop.Token)));
        }

        if (_parts.Mdns)
        {
            await StartMdnsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The bound admin endpoint (port 0 in the options picks a free one); null when not served.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.BoundEndPoint;

    /// <summary>The bound metrics-only endpoint; null when not served separately.</summary>
    public IPEndPoint? MetricsEndPoint => _metricsServer?.BoundEndPoint;

    private async Task BindAsync(CancellationToken cancellationToken)
    {
        try
        {
            _listener = _parts.Transport.Listen(_parts.Listen);
        }
        catch (TransportException ex)
        {
            throw new NodeStartException("network.listen_address/listen_port", _parts.Listen.ToString(), ex);
        }

        if (_parts.AdminListen is { } admin)
        {
            _admin = new AdminServer(admin, Metrics, GetStatus, Loggers);
            await StartEndpointAsync(_admin, "admin.listen", admin, cancellationToken).ConfigureAwait(false);
        }

        // The admin endpoint serves /metrics too, so the same address is served once; two port-0 addresses are two
        // endpoints (each gets its own free port).
        if (_parts.MetricsListen is { } metrics && (metrics.Port == 0 || !metrics.Equals(_parts.AdminListen)))
        {
            // Metrics only: the scrape endpoint is often opened to a monitoring network, status and peers are not.
            _metricsServer = new AdminServer(metrics, Metrics, status: null, Loggers);
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
        _listener?.Dispose();
        _listener = null;
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
            _listener!.LocalEndPoint.ToString(),
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

    /// <summary>Stops everything: no new rounds, peers told Bye, state saved.</summary>
    public Task StopAsync()
    {
        // Idempotent: every caller (the round loop after max_rounds, the host, DisposeAsync) awaits the same stop,
        // so nothing is disposed while a stop is still in progress.
        Task? stopping = Volatile.Read(ref _stopping);
        if (stopping is not null)
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
        }, TaskScheduler.Default);
        return started.Task;
    }

    private Task? _stopping;

    private async Task StopCoreAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        foreach (PeerSession session in _sessions.Values)
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

        _actor.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
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

        foreach (PeerSession session in _sessions.Values)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        SavePeerBook();
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
        Post(() =>
        {
            _engine.Publish(delta, payload);
            done.TrySetResult();
        });
        return done.Task;
    }

    /// <summary>Runs an action on the engine's actor loop.</summary>
    private void Post(Action action)
    {
        if (!_actor.Writer.TryWrite(action))
        {
            // Full: wait (backpressure to whoever produced the work), unless shutting down.
            _ = _actor.Writer.WriteAsync(action, _stop.Token).AsTask().ContinueWith(
                t => Log.ActorDropped(_logger, t.Exception?.GetBaseException().Message ?? "cancelled"),
                CancellationToken.None,
                TaskContinuationOptions.NotOnRanToCompletion,
                TaskScheduler.Default);
        }
    }

    private async Task ActorLoopAsync()
    {
        await foreach (Action action in _actor.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in one message's handling must not take the node down; it is logged loudly.
                Log.ActorFailed(_logger, ex);
            }
        }
    }

    private async Task TickLoopAsync(CancellationToken stop)
    {
        // Once a second: stalled pulls move on (the stall timeout itself is 10 s), peers get a ping.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _parts.Time);
        ulong nonce = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                Post(() =>
                {
                    _engine.Tick();
                    nonce++;
                    foreach (PeerId peer in _engine.ReadyPeers)
                    {
                        Send(peer, new PingMessage(nonce));
                    }
                });
                Metrics.Peers.Set(_sessions.Count);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
