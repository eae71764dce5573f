using System.Security.Cryptography;
using System.Text;
using FedMesh.NetSim.Network;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation.Internal;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.NetSim.Simulation;

/// <summary>
/// Runs a <see cref="Scenario"/>: N nodes, each with its own Ed25519 identity, <c>GossipEngine</c>,
/// <c>RoundCoordinator</c>, learner, privacy ledger and reputation, wired through <see cref="SimNetwork"/> on a
/// <see cref="VirtualClock"/>. Every message is encoded with the real <c>MessageCodec</c> and decoded at the
/// receiver, so wire sizes are real. Single-threaded and seeded throughout: the same scenario and seed give the
/// same records and event log, byte for byte.
/// </summary>
public sealed partial class Simulator : IDisposable
{
    /// <summary>Plaintext frame header (version, type, flags, u32 length; SPEC.md §4 frame vector): counted per message.</summary>
    public const int FrameHeaderBytes = 8;

    /// <summary>Engine upkeep (stalled pulls move on) every second, as the daemon's gossip loop does.</summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly Scenario _scenario;
    private readonly SimNode[] _nodes;
    private readonly int[][] _graph;
    private readonly Dictionary<PeerId, int> _byPeer = [];
    private readonly List<string> _eventLog = [];
    private readonly List<NodeRoundRecord> _records = [];
    private readonly List<RoundSummary> _summaries = [];
    private readonly Random _churn;
    private readonly string _stateDirectory;
    private readonly bool _ownsStateDirectory;
    private readonly TimeSpan[] _phase;
    private readonly int[] _roundOrder;
    private readonly Action<string> _info;
    private long _verified;
    private long _rejected;

    /// <param name="info">Progress lines (torch: loading or pretraining the base model); null = silent.</param>
    public Simulator(Scenario scenario, string? stateDirectory = null, Action<string>? info = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _scenario = scenario;
        ulong seed = scenario.Seed;
        Clock = new VirtualClock();
        Network = new SimNetwork(Clock, scenario.Nodes, SimSeeds.Random(seed, "network"), scenario.Links);
        _graph = BuildTopology(scenario);
        _churn = SimSeeds.Random(seed, "churn");
        _ownsStateDirectory = stateDirectory is null;
        _stateDirectory = stateDirectory ?? Directory.CreateTempSubdirectory("netsim-").FullName;
        _info = info ?? (_ => { });

        LearningTask = scenario.Learner.Kind == LearnerKind.Torch
            ? new TorchTask(SotuWorkload.Create(scenario.Learner.Torch, scenario.Nodes, seed, _info), scenario.Nodes)
            : new SurrogateTask(new SurrogateProblem(scenario.Learner.Surrogate with { Seed = seed }, scenario.Nodes));
        Mesh = new LocalMesh(SHA256.HashData(Encoding.UTF8.GetBytes($"fedmesh-netsim-mesh|{scenario.Name}")), LearningTask.BaseModelHash, LearningTask.Schema);
        bool[] byzantine = PickByzantine(scenario);
        _nodes = new SimNode[scenario.Nodes];
        for (int i = 0; i < _nodes.Length; i++)
        {
            var key = Key.Import(SignatureAlgorithm.Ed25519, SimSeeds.Bytes(seed, "identity", i), KeyBlobFormat.RawPrivateKey);
            string dir = Path.Combine(_stateDirectory, $"node-{i:D4}");
            Directory.CreateDirectory(dir);
            _nodes[i] = new SimNode(i, key, LearningTask.CreateLearner(i), byzantine[i], new ReputationTracker(scenario.Reputation, Clock), dir);
            _byPeer.Add(_nodes[i].PeerId, i);
        }

        HonestNodes = Enumerable.Range(0, _nodes.Length).Where(i => !byzantine[i]).ToArray();
        Optimum = HonestNodes.Count > 0 ? LearningTask.OptimumOf(HonestNodes) : null;

        // Nodes do not run in lock-step: each keeps its own phase within the period (first half, so every node's
        // round r is done, and its state mostly spread, when the round-r metrics are taken at 0.99 of the window).
        Random phases = SimSeeds.Random(seed, "phase");
        _phase = _nodes.Select(_ => TimeSpan.FromTicks((long)(phases.NextDouble() * 0.5 * scenario.Period.Ticks))).ToArray();
        _roundOrder = Enumerable.Range(0, _nodes.Length).OrderBy(i => _phase[i]).ThenBy(i => i).ToArray();
        foreach (int i in scenario.Byzantine.Absent ? Enumerable.Range(0, _nodes.Length).Where(i => byzantine[i]) : [])
        {
            // Never started and never joined: the honest nodes run alone (ByzantineSpec.Absent).
            _nodes[i].JoinsLate = true;
        }

        foreach (ScenarioEvent e in scenario.Events.Where(e => e.Kind == ScenarioEventKind.Join))
        {
            foreach (int n in e.Nodes)
            {
                _nodes[n].JoinsLate = true;
            }
        }
    }

    public VirtualClock Clock { get; }

    public SimNetwork Network { get; }

    /// <summary>What the nodes learn (surrogate task or real learners on SOTU).</summary>
    internal ISimTask LearningTask { get; }

    public LocalMesh Mesh { get; }

    public IReadOnlyList<SimNode> Nodes => _nodes;

    /// <summary>Undirected neighbour lists.</summary>
    public IReadOnlyList<int[]> Graph => _graph;

    public IReadOnlyList<int> HonestNodes { get; }

    /// <summary>Optimum of the honest nodes' data when it is known (surrogate); null for the real learner.</summary>
    public float[]? Optimum { get; }

    public IReadOnlyList<string> EventLog => _eventLog;

    /// <summary>The means of the last recorded round (null before the first).</summary>
    public RoundSummary? LastSummary => _summaries.Count > 0 ? _summaries[^1] : null;

    /// <summary>Called after each round's metrics (round number) — the CLI's progress bar.</summary>
    public Action<int>? RoundCompleted { get; set; }

    /// <summary>A node verified a delta (node, delta, sender) — the dissemination bench's probe.</summary>
    public Action<int, Node.Gossip.StoredDelta, int>? DeltaReached { get; set; }

    /// <summary>Runs the whole scenario and returns its records.</summary>
    public SimulationResult Run()
    {
        Start();
        for (int round = 1; round <= _scenario.Rounds; round++)
        {
            TimeSpan windowStart = _scenario.Period * (round - 1);
            Clock.RunUntil(windowStart);
            BeginRound(round);
            foreach (int index in _roundOrder)
            {
                SimNode node = _nodes[index];
                Clock.RunUntil(windowStart + _phase[index]);
                RunNodeRound(node, round);
            }

            Clock.RunUntil(windowStart + (_scenario.Period * 0.99));
            RecordRound(round);
            RoundCompleted?.Invoke(round);
        }

        return new SimulationResult(
            _scenario.Name, _scenario.Seed, _nodes.Length, _scenario.Rounds, _records, _summaries, _eventLog,
            Network.MessagesSent, Network.MessagesDropped, Network.BytesDelivered, _verified, _rejected, Clock.EventsRun)
        {
            Baselines = RunBaselines(),
        };
    }

    /// <summary>Brings every node that does not join late up and connects the graph (time 0).</summary>
    public void Start()
    {
        foreach (SimNode node in _nodes)
        {
            if (!node.JoinsLate)
            {
                StartProcess(node, "start");
            }
        }

        ScheduleTicks();
    }

    public void Dispose()
    {
        foreach (SimNode node in _nodes)
        {
            node.Dispose();
        }

        if (_ownsStateDirectory)
        {
            try
            {
                Directory.Delete(_stateDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless; the run's outputs are elsewhere.
            }
        }
    }

    /// <summary>The torch scenario's comparison arms at the mesh's rounds × local steps, when asked for.</summary>
    private BaselineResult? RunBaselines()
    {
        if (LearningTask is not TorchTask { Workload: { Spec.Baselines: true } workload })
        {
            return null;
        }

        _info($"baselines: local-only, centralized pooled and FedAvg star, {_scenario.Rounds} rounds × {_scenario.Learner.LocalSteps} steps each …");
        return new BaselineRunner(workload, _scenario.Rounds, _scenario.Learner.LocalSteps, _info).Run();
    }

    internal void Log(string message) =>
        _eventLog.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s {message}"));

    private void ScheduleTicks() =>
        Clock.Schedule(TickInterval, () =>
        {
            foreach (SimNode node in _nodes)
            {
                if (node.Up)
                {
                    node.Engine!.Tick();
                }
            }

            ScheduleTicks();
        });

    internal static int[][] BuildTopology(Scenario s)
    {
        Random random = SimSeeds.Random(s.Seed, "topology");
        TopologySpec t = s.Topology;
        return t.Kind switch
        {
            TopologyKind.Full => Topology.Full(s.Nodes),
            TopologyKind.RandomRegular => Topology.RandomRegular(s.Nodes, t.Degree, random),
            TopologyKind.SmallWorld => Topology.SmallWorld(s.Nodes, t.Degree, t.Rewire, random),
            _ => Topology.Clusters(s.Nodes, t.Clusters, t.Bridges, random),
        };
    }

    internal static bool[] PickByzantine(Scenario s)
    {
        var result = new bool[s.Nodes];
        int count = (int)(s.Byzantine.Fraction * s.Nodes);
        int[] order = Enumerable.Range(0, s.Nodes).ToArray();
        SimSeeds.Random(s.Seed, "byzantine").Shuffle(order);
        foreach (int i in order.Take(count))
        {
            result[i] = true;
        }

        return result;
    }
}
