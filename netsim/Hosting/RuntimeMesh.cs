using System.Globalization;
using System.Net;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.NetSim.Simulation.Internal;
using FedMesh.Node.Attacks;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Node.Membership;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.NetSim.Hosting;

/// <summary>
/// N real <see cref="NodeRuntime"/>s (the daemon's own connection manager, handshake and AEAD, membership, gossip
/// actor, round loop) joined by in-memory duplex pipes (<see cref="InMemoryNetwork"/>) on the simulator's
/// <see cref="VirtualClock"/>, all on one thread in a deterministic order (<see cref="SerialExecutor"/>): the same
/// scenario and seed give byte-identical results. Each node dials its topology neighbours as seeds; from there on,
/// peer exchange, max_peers, reconnect backoff, failure detection, staleness and the distance bound are the daemon's.
/// Covered so far: the surrogate learner, honest nodes, no link latency, no churn or partitions (see
/// netsim/scenarios/README.md, "Real runtime").
/// </summary>
public sealed class RuntimeMesh : IAsyncDisposable
{
    /// <summary>The port every simulated host listens on (the daemon's default).</summary>
    public const int Port = 7340;

    private readonly Scenario _scenario;
    private readonly ISimTask _task;
    private readonly InMemoryNetwork _network = new(InMemoryNetwork.DefaultPipeOptions);
    private readonly NodeIdentity[] _identities;
    private readonly ILearner[] _learners;
    private readonly NodeRuntime[] _runtimes;
    private readonly TimeSpan[] _phase;
    private readonly LocalMesh _mesh;
    private readonly List<RuntimeRoundSample> _series = [];
    private readonly List<string> _events = [];
    private readonly int[][] _graph;
    private readonly bool[] _byzantine;
    private readonly int[] _honest;

    /// <summary>Each node's released (honest) states, newest first, at most ReplayDepth + 1: what the omniscient and
    /// replaying attacks craft from, as in the simulator.</summary>
    private readonly List<float[]>[] _releases;

    public RuntimeMesh(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Learner.Kind != LearnerKind.Surrogate || scenario.Churn.Rate > 0
            || scenario.Events.Any(e => e.Kind is not (ScenarioEventKind.Partition or ScenarioEventKind.Heal)))
        {
            throw new ArgumentException($"scenario {scenario.Name}: the real-runtime host runs surrogate meshes with partition/heal events only so far (no churn, crash, join, leave or degrade)");
        }

        _scenario = scenario;
        Clock = new VirtualClock();
        _task = new SurrogateTask(new SurrogateProblem(scenario.Learner.Surrogate with { Seed = scenario.Seed }, scenario.Nodes));
        _mesh = new LocalMesh(SHA256.HashData(Encoding.UTF8.GetBytes($"fedmesh-netsim-mesh|{scenario.Name}")), _task.BaseModelHash, _task.Schema);
        int[][] graph = Simulator.BuildTopology(scenario);
        _graph = graph;
        _byzantine = Simulator.PickByzantine(scenario);
        _honest = [.. Enumerable.Range(0, scenario.Nodes).Where(i => !_byzantine[i])];
        _releases = [.. Enumerable.Range(0, scenario.Nodes).Select(_ => new List<float[]>())];
        Random phases = SimSeeds.Random(scenario.Seed, "phase");
        _phase = [.. Enumerable.Range(0, scenario.Nodes).Select(_ => TimeSpan.FromTicks((long)(phases.NextDouble() * 0.5 * scenario.Period.Ticks)))];
        _identities = new NodeIdentity[scenario.Nodes];
        _learners = new ILearner[scenario.Nodes];
        _runtimes = new NodeRuntime[scenario.Nodes];
        for (int i = 0; i < scenario.Nodes; i++)
        {
            _identities[i] = NodeIdentity.FromSeed(SimSeeds.Bytes(scenario.Seed, "identity", i));
            _learners[i] = _task.CreateLearner(i);
            _runtimes[i] = new NodeRuntime(Parts(i, graph[i]), NullLoggerFactory.Instance);
            if (!_byzantine[i])
            {
                int node = i;
                _runtimes[i].RoundCompleted += report =>
                {
                    if (report.Released is { } released)
                    {
                        Remember(node, DeltaDecoder.DecodeFlat(released.Manifest, report.ReleasedPayload.Span));
                    }
                };
            }
        }
    }

    public VirtualClock Clock { get; }

    /// <summary>The simulated address of node <paramref name="node"/>: 10.a.b.c from its index + 1.</summary>
    public static IPAddress AddressOf(int node)
    {
        int n = node + 1;
        return new IPAddress([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n]);
    }

    /// <summary>Runs the scenario on one pool thread; the process's thread pool is restricted for good (netsim only).</summary>
    public static RuntimeMeshResult Run(Scenario scenario)
    {
        SerialExecutor.Enforce();
        return Task.Run(async () =>
        {
            await using var mesh = new RuntimeMesh(scenario);
            return await mesh.RunAsync().ConfigureAwait(false);
        }).GetAwaiter().GetResult();
    }

    /// <summary>Starts each node at its phase, runs until every node has done its rounds and stopped.</summary>
    private async Task<RuntimeMeshResult> RunAsync()
    {
        for (int i = 0; i < _runtimes.Length; i++)
        {
            if (Absent(i))
            {
                continue;
            }

            NodeRuntime runtime = _runtimes[i];
            Clock.Schedule(_phase[i], () => _ = runtime.StartAsync(CancellationToken.None));
        }

        foreach (ScenarioEvent e in _scenario.Events)
        {
            Clock.Schedule(_scenario.Period * (e.Round - 1), () => Apply(e));
        }

        float[]? optimum = _task.OptimumOf(_honest);
        for (int round = 1; round <= _scenario.Rounds; round++)
        {
            // As the simulator samples: at 0.99 of the round's window, when every node has run round r (phases lie
            // in the first half) and its release has had the rest of the window to spread.
            int r = round;
            Clock.Schedule((_scenario.Period * (round - 1)) + (_scenario.Period * 0.99), () => _series.Add(Sample(r, optimum)));
        }

        // Rounds, then the period each node keeps serving after its last round, then a margin of two periods.
        TimeSpan limit = _scenario.Period * (_scenario.Rounds + 3);
        await SerialExecutor.DriveAsync(Clock, () => _runtimes.Where((_, i) => !Absent(i)).All(r => r.Completion.IsCompleted), limit).ConfigureAwait(false);
        return Collect();
    }

    /// <summary>Attackers that never start (ByzantineSpec.Absent: the honest nodes alone).</summary>
    private bool Absent(int node) => _byzantine[node] && _scenario.Byzantine.Absent;

    private void Remember(int node, float[] state)
    {
        List<float[]> history = _releases[node];
        history.Insert(0, state);
        if (history.Count > Simulator.ReplayDepth + 1)
        {
            history.RemoveAt(history.Count - 1);
        }
    }

    /// <summary>
    /// What an attacker signs instead of its honest state (the coordinator's release hook, so the daemon's own
    /// signing, sequence and gossip carry it): the simulator's crafting, from the honest nodes' latest releases and
    /// this node's own history.
    /// </summary>
    private float[] Attack(int node, float[] own)
    {
        AttackKind kind = _scenario.Byzantine.Attack;
        int round = _releases[node].Count == 0 ? 1 : (int)_runtimes[node].GetStatus().Round + 1;
        IReadOnlyList<ReadOnlyMemory<float>> honest = kind is AttackKind.Alie or AttackKind.InnerProduct
            ? _honest.Select(i => (ReadOnlyMemory<float>)(_releases[i].Count > 0 ? _releases[i][0] : _learners[i].GetAdapter())).DefaultIfEmpty(own).ToArray()
            : [own];
        IReadOnlyList<float[]> previous = _releases[node].Count > 0 ? [_releases[node][^1]] : [own];
        Remember(node, (float[])own.Clone());
        int inputs = Math.Min(_scenario.Gossip.MaxMergeInputs, Math.Max(2, _graph[node].Length + 1));
        int colluding = Math.Min(inputs - 1, 1 + _graph[node].Count(i => _byzantine[i]));
        var options = AttackOptions.Default with { AlieZ = AttackLibrary.AlieZ(inputs, colluding) };
        return AttackLibrary.Craft(kind, honest, previous, 1, inputs, options, SimSeeds.Int(_scenario.Seed, "attack", node, round))[0];
    }

    private RuntimeMeshResult Collect()
    {
        float[]? optimum = _task.OptimumOf(_honest);
        var nodes = new RuntimeNodeResult[_runtimes.Length];
        for (int i = 0; i < nodes.Length; i++)
        {
            NodeStatus s = _runtimes[i].GetStatus();
            float[] adapter = _learners[i].GetAdapter();
            double? distance = optimum is null ? null : Distance(adapter, optimum);
            if (_runtimes[i].Fault is { } fault)
            {
                throw new InvalidOperationException($"node {i}: {fault}");
            }

            nodes[i] = new RuntimeNodeResult(i, _byzantine[i], s.PeerId, s.Round, s.DeltasSent, s.DeltasReceived, s.DeltasMerged, s.DeltasRejected, s.BytesIn, s.BytesOut, _runtimes[i].PeerBook.Count, _task.Score(i, _learners[i]), distance);
        }

        return new RuntimeMeshResult(_scenario.Name, _scenario.Seed, _runtimes.Length, _scenario.Rounds, nodes, _network.ConnectionsOpened, Clock.EventsRun, Clock.Elapsed)
        {
            Series = _series,
            Events = _events,
        };
    }

    private RuntimeRoundSample Sample(int round, float[]? optimum)
    {
        double score = 0, distance = 0;
        int connected = 0;
        foreach (int i in _honest)
        {
            score += _task.Score(i, _learners[i]);
            distance += optimum is null ? double.NaN : Distance(_learners[i].GetAdapter(), optimum);
            connected += _runtimes[i].GetStatus().Peers.Count;
        }

        int n = Math.Max(1, _honest.Length);
        return new RuntimeRoundSample(round, score / n, distance / n, (double)connected / n);
    }

    /// <summary>A partition refuses new connections across groups and resets the open ones (nodes in no group form one
    /// more group); a heal lets connections through again. Reconnecting is the daemons' own dial loop and backoff.</summary>
    private void Apply(ScenarioEvent e)
    {
        if (e.Kind == ScenarioEventKind.Heal)
        {
            _network.Reachable = null;
            _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s round {e.Round}: heal"));
            return;
        }

        var group = new Dictionary<IPAddress, int>();
        int g = 0;
        foreach (KeyValuePair<string, int[]> members in e.Groups)
        {
            foreach (int node in members.Value)
            {
                group[AddressOf(node)] = g;
            }

            g++;
        }

        int GroupOf(IPAddress host) => group.TryGetValue(host, out int found) ? found : -1;
        _network.Reachable = (from, to) => GroupOf(from) == GroupOf(to);
        int reset = _network.Sever((a, b) => GroupOf(a) != GroupOf(b));
        _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s round {e.Round}: partition into {g + (group.Count < _runtimes.Length ? 1 : 0)} groups, {reset} connections reset"));
    }

    private static double Distance(float[] a, float[] b)
    {
        float[] diff = new float[a.Length];
        TensorPrimitives.Subtract(a, b, diff);
        return TensorPrimitives.Norm(diff);
    }

    private NodeParts Parts(int i, int[] neighbours)
    {
        var reputation = new ReputationTracker(_scenario.Reputation, Clock);
        var coordinator = new RoundCoordinator(
            _learners[i],
            new RobustAggregator(AggregatorOptions.Default with { Rule = _scenario.Rule, MaxDegreeOfParallelism = 1 }),
            reputation,
            _scenario.ValidationGate ? new ValidationGate(_scenario.Gate, a => _task.GateLoss(i, _learners[i], a), reputation) : null,
            dp: null,
            ledger: null,
            _identities[i].SigningKey,
            _mesh,
            Clock,
            MeshOptions.Default with
            {
                LocalSteps = _scenario.Learner.LocalSteps,
                MaxMergeInputs = _scenario.Gossip.MaxMergeInputs,
                PrivacyEnabled = false,
                RoundPeriod = _scenario.Period,
            })
        {
            ReleaseAttack = _byzantine[i] ? own => Attack(i, own) : null,
        };
        return new NodeParts
        {
            Identity = _identities[i],
            Mesh = _mesh,
            MeshName = _scenario.Name,
            Listen = new IPEndPoint(AddressOf(i), Port),
            // Each node dials its topology neighbours with a higher index (the lower one dials it), as an operator
            // would list seeds; everything after the first connections is the daemon's own membership.
            Seeds = [.. neighbours.Where(n => n > i).Select(n => new Seed(new PeerAddress(AddressOf(n).ToString(), Port)))],
            MaxPeers = Math.Max(NodeParts.DefaultMaxPeers, neighbours.Length),
            MaxConnections = Math.Max(64, 4 * neighbours.Length),
            Gossip = GossipOptions.Default with { Fanout = _scenario.Gossip.Fanout, MaxDeltaAge = coordinator.Options.StalenessHorizon },
            Rounds = coordinator,
            Learner = _learners[i],
            Reputation = reputation,
            RoundPeriod = _scenario.Period,
            MaxRounds = _scenario.Rounds,
            Transport = _network.Host(AddressOf(i)),
            Time = Clock,
            Seed = SimSeeds.Int(_scenario.Seed, "runtime", i),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (NodeRuntime runtime in _runtimes)
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
        }

        foreach (ILearner learner in _learners)
        {
            learner.Dispose();
        }

        foreach (NodeIdentity identity in _identities)
        {
            identity.Dispose();
        }
    }
}

/// <summary>One node at the end of a real-runtime run (counters from its own status; bytes are the runtime's wire
/// counts: frame bodies plus header and AEAD tag).</summary>
public sealed record RuntimeNodeResult(
    int Node, bool Byzantine, string PeerId, long Rounds, long DeltasSent, long DeltasReceived, long DeltasMerged, long DeltasRejected,
    long BytesIn, long BytesOut, int KnownPeers, double Score, double? DistanceToOptimum);

/// <summary>Means over the nodes at 0.99 of round <see cref="Round"/>'s window (the simulator's sampling point).</summary>
public sealed record RuntimeRoundSample(int Round, double MeanScore, double MeanDistanceToOptimum, double MeanPeers);

/// <summary>A real-runtime run: per node, per round, and what the harness saw.</summary>
public sealed record RuntimeMeshResult(
    string Scenario, ulong Seed, int Nodes, int Rounds, IReadOnlyList<RuntimeNodeResult> PerNode, long ConnectionsOpened, long TimerEvents, TimeSpan VirtualTime)
{
    public IReadOnlyList<RuntimeRoundSample> Series { get; init; } = [];

    /// <summary>Scenario events as applied, with their virtual time.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>The per-round means as CSV (round, mean score, mean distance to the optimum, mean connected peers).</summary>
    public string SeriesCsv()
    {
        var text = new StringBuilder("round,mean_score,mean_distance,mean_peers\n");
        foreach (RuntimeRoundSample r in Series)
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Round},{r.MeanScore:R},{r.MeanDistanceToOptimum:R},{r.MeanPeers:R}\n");
        }

        return text.ToString();
    }

    /// <summary>The run as CSV, one line per node (invariant culture, fixed precision): what determinism compares.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("node,byzantine,peer_id,rounds,deltas_sent,deltas_received,deltas_merged,deltas_rejected,bytes_in,bytes_out,known_peers,score,distance\n");
        foreach (RuntimeNodeResult n in PerNode)
        {
            text.Append(CultureInfo.InvariantCulture, $"{n.Node},{(n.Byzantine ? 1 : 0)},{n.PeerId},{n.Rounds},{n.DeltasSent},{n.DeltasReceived},{n.DeltasMerged},{n.DeltasRejected},{n.BytesIn},{n.BytesOut},{n.KnownPeers},{n.Score:R},{n.DistanceToOptimum:R}\n");
        }

        return text.ToString();
    }

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Scenario} seed {Seed}: {Nodes} nodes x {Rounds} rounds on the real runtime; {ConnectionsOpened} connections, {TimerEvents} timer events, " +
        $"virtual {VirtualTime.TotalSeconds:F1} s; mean bytes/node in {PerNode.Average(n => n.BytesIn):F0} out {PerNode.Average(n => n.BytesOut):F0}; " +
        $"honest nodes' mean distance to their optimum {PerNode.Where(n => !n.Byzantine).Average(n => n.DistanceToOptimum ?? double.NaN):G6}; merged {PerNode.Sum(n => n.DeltasMerged)}, rejected {PerNode.Sum(n => n.DeltasRejected)}");
}
