using System.Net;
using FedMesh.Node.Cli;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using FedMesh.Node.Membership;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Node.Tests.Mesh;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>Issue 11: a faulted loop stops the host with a non-zero exit; a bad delta never stops the rounds.</summary>
[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public class SupervisionTests
{
    private const string MeshName = "coordinator-test";
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_fault_in_the_round_loop_is_logged_and_stops_the_host_with_a_non_zero_exit_code()
    {
        var logs = new CapturedLogs();
        using var id = NodeIdentity.Create();
        using var learner = new FailingLearner(failOnRound: 3);
        NodeRuntime? runtime = null;

        HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(sp => new NodeService(
            _ =>
            {
                runtime = new NodeRuntime(Parts(id, learner, Coordinator(id, learner)), sp.GetRequiredService<ILoggerFactory>());
                return Task.FromResult<(NodeRuntime, IAsyncDisposable)>((runtime, runtime));
            },
            sp.GetRequiredService<IHostApplicationLifetime>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeService>());
        using IHost host = builder.Build();
        NodeService service = host.Services.GetRequiredService<NodeService>();

        // The host stops by itself: nobody cancels it here.
        await host.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(NodeRuntime.FaultExitCode, service.ExitCode);
        Assert.NotEqual(0, service.ExitCode);
        Assert.Equal("round", runtime!.Fault!.Loop);
        Assert.Contains(logs.Lines, l => l.StartsWith("Critical 6050 The round loop failed, stopping the node: injected learner fault in round 3", StringComparison.Ordinal));
    }

    /// <summary>
    /// Every kind of long-running loop is supervised: a fault injected into it (through the runtime's test seam, on
    /// virtual time so the five-minute peer-book loop gets its turn) stops the host with exit code 70 and a Critical
    /// line naming the loop and the reason.
    /// </summary>
    [Theory]
    [InlineData("actor")]
    [InlineData("accept")]
    [InlineData("dial")]
    [InlineData("tick")]
    [InlineData("peerbook")]
    [InlineData("round")]
    public async Task A_fault_in_any_runtime_loop_stops_the_host_with_exit_code_70_and_the_loop_and_reason_logged(string loop)
    {
        var logs = new CapturedLogs();
        using var id = NodeIdentity.Create();
        using var learner = new FailingLearner(failOnRound: int.MaxValue);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        NodeRuntime? runtime = null;
        HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(sp => new NodeService(
            _ =>
            {
                runtime = new NodeRuntime(Parts(id, learner, Coordinator(id, learner)) with { Time = time }, sp.GetRequiredService<ILoggerFactory>())
                {
                    LoopFaultInjection = name =>
                    {
                        if (name == loop)
                        {
                            throw new InvalidOperationException($"injected fault in the {name} loop");
                        }
                    },
                };
                return Task.FromResult<(NodeRuntime, IAsyncDisposable)>((runtime, runtime));
            },
            sp.GetRequiredService<IHostApplicationLifetime>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeService>());
        using IHost host = builder.Build();
        NodeService service = host.Services.GetRequiredService<NodeService>();

        Task run = host.RunAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!run.IsCompleted)
        {
            // Virtual time: 10 s per step reaches every loop's next iteration (1 s tick, 2 s dial, 5 min peer book).
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(10, timeout.Token);
        }

        await run;
        Assert.Equal(NodeRuntime.FaultExitCode, service.ExitCode);
        Assert.Equal(loop, runtime!.Fault!.Loop);
        Assert.Contains(logs.Lines, l => l.StartsWith($"Critical 6050 The {loop} loop failed, stopping the node: injected fault in the {loop} loop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_validly_signed_delta_dated_past_year_9999_or_an_hour_ahead_is_rejected_and_the_rounds_keep_running()
    {
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        using var relayId = NodeIdentity.Create();
        using var nodeId = NodeIdentity.Create();
        using var learner = new FailingLearner(failOnRound: int.MaxValue);
        await using var relay = new NodeRuntime(Parts(relayId, learner: null, rounds: null), loggers);
        await relay.StartAsync(CancellationToken.None);
        await using var node = new NodeRuntime(
            Parts(nodeId, learner, Coordinator(nodeId, learner)) with { Seeds = [new Seed(new PeerAddress("127.0.0.1", relay.ListenEndPoint!.Port))] },
            loggers);
        var reports = new System.Collections.Concurrent.ConcurrentQueue<RoundReport>();
        node.RoundCompleted += reports.Enqueue;
        await node.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // The relay has taken the node's Hello once it has pulled one of the node's round states: only then does a
        // publication reach the node as an announcement (the Hello catch-up never offers a state dated in the future).
        while (node.GetStatus().Peers.Count == 0 || relay.GetStatus().DeltasReceived == 0)
        {
            await Task.Delay(20, timeout.Token);
        }

        // Both signed by the relay's key, so the node pulls them straight from their origin.
        float[] state = Enumerable.Repeat(1f, CoordinatorKit.D).ToArray();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        StoredDelta pastYear9999 = CoordinatorKit.SignedAt(relayId.SigningKey, state, 253_402_300_800_001, now, sequence: 1);
        StoredDelta hourAhead = CoordinatorKit.SignedAt(relayId.SigningKey, state, (ulong)now.AddHours(1).ToUnixTimeMilliseconds(), now, sequence: 2);
        // One at a time: a delta published before the relay has the node's Hello reaches it as the relay's newest
        // (announced when the Hello arrives); a second one published meanwhile would hide the first.
        foreach ((StoredDelta bad, int rejected) in new[] { (pastYear9999, 1), (hourAhead, 2) })
        {
            await relay.PublishAsync(bad.Delta, bad.Payload);
            while (node.GetStatus().DeltasRejected < rejected)
            {
                await Task.Delay(20, timeout.Token);
            }
        }

        Assert.Equal(2, logs.Lines.Count(l => l.Contains("BadTimestamp", StringComparison.Ordinal) && l.StartsWith("Warning 6011", StringComparison.Ordinal)));

        // The rounds go on, and the origin's next honest state is merged.
        long roundsBefore = node.GetStatus().Round;
        StoredDelta honest = CoordinatorKit.SignedAt(relayId.SigningKey, state, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), now, sequence: 3);
        await relay.PublishAsync(honest.Delta, honest.Payload);
        while (!reports.Any(r => r.Merged == 1) || node.GetStatus().Round < roundsBefore + 3)
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.Null(node.Fault);
        Assert.False(node.Completion.IsCompleted);
    }

    [Fact]
    public async Task The_round_loop_asks_its_peer_policy_whose_states_to_merge_and_tells_it_the_connected_peers()
    {
        var network = new FedMesh.Node.Transport.InMemoryNetwork();
        using var aId = NodeIdentity.Create();
        using var bId = NodeIdentity.Create();
        using var la = new FailingLearner(failOnRound: int.MaxValue);
        using var lb = new FailingLearner(failOnRound: int.MaxValue);
        var policy = new RefusingPolicy();
        IPAddress hostA = IPAddress.Parse("10.0.0.1"), hostB = IPAddress.Parse("10.0.0.2");
        await using var a = new NodeRuntime(
            Parts(aId, la, Coordinator(aId, la)) with { Transport = network.Host(hostA), Listen = new IPEndPoint(hostA, 7000) },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await using var b = new NodeRuntime(
            Parts(bId, lb, Coordinator(bId, lb)) with
            {
                Transport = network.Host(hostB),
                Listen = new IPEndPoint(hostB, 7000),
                Seeds = [new Seed(new PeerAddress("10.0.0.1", 7000))],
                PeerPolicy = policy,
            },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (b.GetStatus().DeltasReceived < 3 || !policy.SawConnected(a.Self))
        {
            await Task.Delay(20, timeout.Token);
        }

        // b heard a's states and its policy refused each one: nothing merged. a (flood) merges b's.
        Assert.True(policy.Refused >= 1);
        Assert.Equal(0, b.GetStatus().DeltasMerged);
        while (a.GetStatus().DeltasMerged == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Refuses every state and records whom it was told is connected.</summary>
    private sealed class RefusingPolicy : IRoundPeerPolicy
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<PeerId, bool> _connected = new();
        private int _refused;

        public int Refused => Volatile.Read(ref _refused);

        public bool SawConnected(PeerId peer) => _connected.ContainsKey(peer);

        public void BeforeRound(long round, IReadOnlyList<PeerId> connected)
        {
            foreach (PeerId peer in connected)
            {
                _connected[peer] = true;
            }
        }

        public bool ShouldMerge(StoredDelta delta, PeerId origin, PeerId from)
        {
            Interlocked.Increment(ref _refused);
            return false;
        }
    }

    private static RoundCoordinator Coordinator(NodeIdentity id, ILearner learner) => new(
        learner,
        new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, MaxDegreeOfParallelism = 1 }),
        new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 }),
        gate: null,
        dp: null,
        ledger: null,
        id.SigningKey,
        CoordinatorKit.Mesh,
        TimeProvider.System,
        MeshOptions.Default with { PrivacyEnabled = false, RoundPeriod = Period, PeerDistanceBound = 1e6 });

    private static NodeParts Parts(NodeIdentity id, ILearner? learner, RoundCoordinator? rounds) => new()
    {
        Identity = id,
        Mesh = CoordinatorKit.Mesh,
        MeshName = MeshName,
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Rounds = rounds,
        Learner = learner,
        RoundPeriod = Period,
    };

    /// <summary>A learner that changes nothing and throws in round <c>failOnRound</c> (the injected fault).</summary>
    private sealed class FailingLearner(int failOnRound) : ILearner
    {
        private float[] _adapter = new float[CoordinatorKit.D];
        private int _rounds;

        public AdapterSchema Schema => CoordinatorKit.Schema;

        public ReadOnlyMemory<byte> BaseModelHash => CoordinatorKit.Mesh.BaseModelHash;

        public float[] GetAdapter() => (float[])_adapter.Clone();

        public void SetAdapter(ReadOnlySpan<float> adapter) => _adapter = adapter.ToArray();

        public LocalRound Train(int steps, CancellationToken cancellationToken)
        {
            int round = Interlocked.Increment(ref _rounds);
            return round == failOnRound
                ? throw new InvalidOperationException($"injected learner fault in round {round}")
                : new LocalRound(new float[CoordinatorKit.D], 1.0, steps);
        }

        public void ApplyDelta(ReadOnlySpan<float> delta)
        {
        }

        public Evaluation Evaluate(IReadOnlyList<string> documents) => new(1, 1, 1);

        public Evaluation Evaluate(IReadOnlyList<string> documents, ReadOnlySpan<float> adapter) => new(1, 1, 1);

        public void Dispose()
        {
        }
    }
}
