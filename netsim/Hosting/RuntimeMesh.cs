using System.Globalization;
using System.Net;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Scenarios;
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
/// `netsim run` runs every scenario here: surrogate learners are built in-process (<see cref="Parts"/>); torch
/// scenarios assemble each node with the daemon's <see cref="NodeFactory"/> from a per-node configuration (real
/// TorchLearner, record-level DP-SGD, ledger and budget as <c>fedmesh run</c> resolves them; RuntimeMesh.Learners.cs).
/// Covered: partitions, crashes, restarts from the checkpoint store, joins, leaves, churn, Byzantine releases (torch:
/// partitions, joins, leaves and attacks) and, when the scenario declares links, their latency, bandwidth, loss and
/// degrade events (RuntimeMesh.Links.cs; see netsim/scenarios/README.md, "The real runtime").
/// </summary>
public sealed partial class RuntimeMesh : IAsyncDisposable
{
    /// <summary>The port every simulated host listens on (the daemon's default).</summary>
    public const int Port = 7340;

    private readonly Scenario _scenario;
    private readonly ISimTask _task;
    private readonly InMemoryNetwork _network = new(InMemoryNetwork.DefaultPipeOptions);
    private readonly NodeIdentity[] _identities;
    private readonly ILearner[] _learners;
    private readonly ReputationTracker[] _reputations;

    /// <summary>Each node's current process; null while down (crashed, left, not joined yet).</summary>
    private readonly NodeRuntime?[] _runtimes;
    private readonly int[] _incarnation;
    private readonly bool[] _left;
    private readonly bool[] _joinsLate;
    private readonly Dictionary<int, int> _restartAt = [];
    private readonly Random _churn;
    private readonly bool _persist;
    private readonly string? _stateRoot;
    private readonly List<Task> _stopping = [];

    /// <summary>Each node's latest process (kept after it stops: its counters are the node's result).</summary>
    private readonly NodeRuntime?[] _last;
    private readonly TimeSpan[] _phase;
    private readonly LocalMesh _mesh;

    // One process hosts every node, so a delta's signature is checked with Ed25519 once, not once per receiver: the
    // releases' own signatures and each first verification are remembered (SignatureMemo: same bytes, same outcome).
    private readonly SignatureMemo _signatures = new();
    private float[]? _optimum;
    private readonly List<RuntimeRoundSample> _series = [];
    private readonly List<NodeRoundRecord> _records = [];

    /// <summary>Whether each sample adds its per-node rows to <see cref="_records"/> (<see cref="Run"/>'s perNodeRecords).</summary>
    private bool _perNodeRecords = true;

    /// <summary>Each node's wire counters at the previous sample (a new process counts from zero).</summary>
    private readonly long[] _bytesInAt;
    private readonly long[] _bytesOutAt;

    /// <summary>Each node's last round report since the previous sample (merged, rejected, adopted).</summary>
    private readonly RoundReport?[] _report;
    private readonly List<string> _events = [];
    private readonly int[][] _graph;
    private readonly bool[] _byzantine;
    private readonly int[] _honest;

    /// <summary>Each node's released (honest) states, newest first, at most ReplayDepth + 1: what the omniscient and
    /// replaying attacks craft from, as in the simulator.</summary>
    private readonly List<float[]>[] _releases;

    /// <param name="info">Progress lines (torch: loading or pretraining the base, the nodes' records); null = silent.</param>
    public RuntimeMesh(Scenario scenario, Action<string>? info = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        _scenario = scenario;
        _info = info ?? (_ => { });
        Clock = new VirtualClock();
        _torch = scenario.Learner.Kind == LearnerKind.Torch ? CheckTorch(scenario, TorchWorkload.Create(scenario, _info)) : null;
        _task = (ISimTask?)_torch ?? new SurrogateTask(new SurrogateProblem(scenario.Learner.Surrogate with { Seed = scenario.Seed }, scenario.Nodes));
        _mesh = new LocalMesh(SHA256.HashData(Encoding.UTF8.GetBytes($"fedmesh-netsim-mesh|{scenario.Name}")), _task.BaseModelHash, _task.Schema);
        int[][] graph = MeshLayout.BuildTopology(scenario);
        _graph = graph;
        _byzantine = MeshLayout.PickByzantine(scenario);
        _honest = [.. Enumerable.Range(0, scenario.Nodes).Where(i => !_byzantine[i])];
        _optimum = _task.OptimumOf(_honest);
        _releases = [.. Enumerable.Range(0, scenario.Nodes).Select(_ => new List<float[]>())];
        Random phases = SimSeeds.Random(scenario.Seed, "phase");
        _phase = [.. Enumerable.Range(0, scenario.Nodes).Select(_ => TimeSpan.FromTicks((long)(phases.NextDouble() * 0.5 * scenario.Period.Ticks)))];
        _identities = new NodeIdentity[scenario.Nodes];
        _learners = new ILearner[scenario.Nodes];
        _reputations = new ReputationTracker[scenario.Nodes];
        _runtimes = new NodeRuntime?[scenario.Nodes];
        _last = new NodeRuntime?[scenario.Nodes];
        _incarnation = new int[scenario.Nodes];
        _left = new bool[scenario.Nodes];
        _bytesInAt = new long[scenario.Nodes];
        _bytesOutAt = new long[scenario.Nodes];
        _report = new RoundReport?[scenario.Nodes];
        _churn = SimSeeds.Random(scenario.Seed, "churn");
        // Crashes restart from what is on disk: a real checkpoint store and sequence file per node, only when the
        // scenario has restarts (a checkpoint is an fsync'd file per node-round).
        _persist = _torch is not null || scenario.Churn.Rate > 0 || scenario.Events.Any(e => e.Kind is ScenarioEventKind.Crash or ScenarioEventKind.Restart);
        _stateRoot = _persist ? Directory.CreateTempSubdirectory("netsim-runtime-").FullName : null;
        for (int i = 0; i < scenario.Nodes; i++)
        {
            _identities[i] = NodeIdentity.FromSeed(SimSeeds.Bytes(scenario.Seed, "identity", i));
            // Torch nodes get theirs from the daemon's NodeFactory when they start (StartTorchNode).
            _learners[i] = _task is SurrogateTask surrogate ? surrogate.CreateLearner(i) : null!;
            _reputations[i] = new ReputationTracker(scenario.Reputation, Clock);
        }

        _joinsLate = [.. Enumerable.Range(0, scenario.Nodes).Select(i => Absent(i) || scenario.Events.Any(e => e.Kind == ScenarioEventKind.Join && e.Nodes.Contains(i)))];
    }

    public VirtualClock Clock { get; }

    /// <summary>The simulated address of node <paramref name="node"/>: 10.a.b.c from its index + 1.</summary>
    public static IPAddress AddressOf(int node)
    {
        int n = node + 1;
        return new IPAddress([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n]);
    }

    /// <summary>Runs the scenario on one pool thread; the process's thread pool is restricted for good (netsim only).</summary>
    /// <param name="info">Progress lines; null = silent.</param>
    /// <param name="roundDone">Called after each round's sample (the honest up nodes' means).</param>
    /// <param name="perNodeRecords">Keep one <see cref="NodeRoundRecord"/> per node and round
    /// (<see cref="RuntimeMeshResult.Records"/>, what <c>netsim run</c> writes); false for callers that read only the
    /// per-round means and the per-node totals (the benches): N × rounds rows are 6.5 million objects at 4,096 × 1,600,
    /// kept to the end of the run, and every sample computes each node's distance to the consensus for them.</param>
    public static RuntimeMeshResult Run(Scenario scenario, Action<string>? info = null, Action<RuntimeRoundSample>? roundDone = null, bool perNodeRecords = true)
    {
        SerialExecutor.Enforce();
        return Task.Run(async () =>
        {
            await using var mesh = new RuntimeMesh(scenario, info);
            mesh._roundDone = roundDone;
            mesh._perNodeRecords = perNodeRecords;
            return await mesh.RunAsync().ConfigureAwait(false);
        }).GetAwaiter().GetResult();
    }

    /// <summary>Starts each node at its phase, applies events and churn at window starts, samples every round,
    /// and stops every process after the last round's sample.</summary>
    private async Task<RuntimeMeshResult> RunAsync()
    {
        for (int i = 0; i < _runtimes.Length; i++)
        {
            if (!_joinsLate[i])
            {
                int node = i;
                Clock.Schedule(_phase[i], () => StartNode(node, null));
            }
        }

        for (int round = 1; round <= _scenario.Rounds; round++)
        {
            int r = round;
            TimeSpan windowStart = _scenario.Period * (round - 1);
            // Events, then churn, at the window start (as the simulator applies them).
            Clock.Schedule(windowStart, () => BeginRound(r));
            // As the simulator samples: at 0.99 of the round's window, when every node has run round r (phases lie
            // in the first half) and its release has had the rest of the window to spread.
            Clock.Schedule(windowStart + (_scenario.Period * 0.99), () =>
            {
                RuntimeRoundSample sample = Sample(r);
                _series.Add(sample);
                _roundDone?.Invoke(sample);
            });
        }

        // Past the last sample and before any node's next round (phases start at the window start).
        TimeSpan end = (_scenario.Period * (_scenario.Rounds - 1)) + (_scenario.Period * 0.995);
        await SerialExecutor.DriveAsync(Clock, () => Clock.NextEventAt is not { } next || next > end, end).ConfigureAwait(false);
        for (int i = 0; i < _runtimes.Length; i++)
        {
            if (_runtimes[i] is { } runtime)
            {
                _stopping.Add(runtime.StopAsync());
            }
        }

        // Stopping needs virtual time too (Bye drains wait on the clock); a generous margin of one period.
        TimeSpan stopLimit = end + _scenario.Period;
        await SerialExecutor.DriveAsync(Clock, () => _stopping.All(t => t.IsCompleted), stopLimit).ConfigureAwait(false);
        return Collect();
    }

    private void BeginRound(int round)
    {
        foreach (ScenarioEvent e in _scenario.Events.Where(e => e.Round == round))
        {
            Apply(e);
        }

        foreach (int n in _restartAt.Where(r => r.Value == round).Select(r => r.Key).Order().ToArray())
        {
            _restartAt.Remove(n);
            RestartAtPhase(n, round, "churn restart");
        }

        if (_scenario.Churn.Rate <= 0 || round == 1)
        {
            return;
        }

        for (int i = 0; i < _runtimes.Length; i++)
        {
            // One draw per node per round whatever its state, so one node's fate never shifts another's draws.
            bool crash = _churn.NextDouble() < _scenario.Churn.Rate;
            if (crash && _runtimes[i] is not null && !_restartAt.ContainsKey(i))
            {
                StopNode(i, leave: false, $"round {round}: churn crash (restarts in round {round + _scenario.Churn.DowntimeRounds})");
                _restartAt[i] = round + _scenario.Churn.DowntimeRounds;
            }
        }
    }

    /// <summary>Brings a node up at its phase within this round's window (its rounds keep their phase).</summary>
    private void RestartAtPhase(int node, int round, string why) =>
        Clock.Schedule(_phase[node], () => StartNode(node, $"round {round}: {why}"));

    /// <summary>A new process for the node: a new runtime (and coordinator) over the same identity, learner and
    /// reputation, the adapter and round from its checkpoint store and the sequence from its file, as `fedmesh run`
    /// restarts.</summary>
    private void StartNode(int node, string? why)
    {
        if (_runtimes[node] is not null || _left[node])
        {
            return;
        }

        _incarnation[node]++;
        if (_torch is not null)
        {
            StartTorchNode(node, why);
            return;
        }

        NodeParts parts = Parts(node, _graph[node]);
        var runtime = new NodeRuntime(parts, NullLoggerFactory.Instance);
        if (_persist)
        {
            long round = runtime.RestoreCheckpoint();
            if (parts.SequencePath is { } path && FedMesh.Node.Storage.SequenceFile.Read(path, out _) is { } sequence)
            {
                parts.Rounds!.ResumeSequence(sequence);
            }

            if (why is not null)
            {
                _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s node {node}: {why} (incarnation {_incarnation[node]}, checkpoint of round {round})"));
            }
        }
        else if (why is not null)
        {
            _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s node {node}: {why}"));
        }

        Started(node, runtime);
    }

    /// <summary>Watches a new process's rounds (reports; honest releases for the attackers) and starts it.</summary>
    private void Started(int node, NodeRuntime runtime)
    {
        _bytesInAt[node] = 0;
        _bytesOutAt[node] = 0;
        runtime.RoundCompleted += report => _report[node] = report;
        if (!_byzantine[node])
        {
            runtime.RoundCompleted += report =>
            {
                if (report.Released is { } released)
                {
                    Remember(node, report.ReleasedValues ?? DeltaDecoder.DecodeFlat(released.Manifest, report.ReleasedPayload.Span));
                }
            };
        }

        Follow(node, runtime);
        _runtimes[node] = runtime;
        _last[node] = runtime;
        _ = runtime.StartAsync(CancellationToken.None);
    }

    /// <summary>A crash: the node's connections reset (no Bye reaches anyone), its process stops; what is on disk
    /// stays. A leave is a crash without restart.</summary>
    private void StopNode(int node, bool leave, string why)
    {
        _left[node] |= leave;
        if (_runtimes[node] is not { } runtime)
        {
            return;
        }

        IPAddress host = AddressOf(node);
        _network.Sever((a, b) => a.Equals(host) || b.Equals(host));
        _runtimes[node] = null;
        _stopping.Add(runtime.StopAsync());
        _events.Add(string.Create(CultureInfo.InvariantCulture, $"t={Clock.Elapsed.TotalSeconds:F3}s node {node}: {why}"));
    }

    /// <summary>Attackers that never start (ByzantineSpec.Absent: the honest nodes alone).</summary>
    private bool Absent(int node) => _byzantine[node] && _scenario.Byzantine.Absent;

    private void Remember(int node, float[] state)
    {
        List<float[]> history = _releases[node];
        history.Insert(0, state);
        if (history.Count > MeshLayout.ReplayDepth + 1)
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
        int round = _releases[node].Count == 0 ? 1 : (int)(_runtimes[node]?.GetCounters().Round ?? 0) + 1;
        IReadOnlyList<ReadOnlyMemory<float>> honest = ByzantineRelease.NeedsAllHonest(_scenario.Byzantine.Attack)
            ? _honest.Select(i => (ReadOnlyMemory<float>)(_releases[i].Count > 0 ? _releases[i][0] : _learners[i]?.GetAdapter() ?? own)).DefaultIfEmpty(own).ToArray()
            : [own];
        float[] previous = _releases[node].Count > 0 ? _releases[node][^1] : own;
        Remember(node, (float[])own.Clone());
        return ByzantineRelease.Craft(_scenario, node, _graph[node], i => _byzantine[i], honest, previous, round);
    }

    private RuntimeMeshResult Collect()
    {
        float[]? optimum = _task.OptimumOf(_honest);
        var nodes = new RuntimeNodeResult[_runtimes.Length];
        for (int i = 0; i < nodes.Length; i++)
        {
            // The last process's counters (a restarted node's count from its restart; its bytes from then on).
            NodeRuntime? last = _last[i];
            NodeStatus? s = last?.GetStatus();
            // A node that never started (absent attacker, a torch node that never joined) has no learner.
            float[]? adapter = _learners[i]?.GetAdapter();
            double? distance = optimum is null || adapter is null ? null : Distance(adapter, optimum);
            if (last?.Fault is { } fault)
            {
                throw new InvalidOperationException($"node {i}: {fault}");
            }

            nodes[i] = new RuntimeNodeResult(i, _byzantine[i], _identities[i].PeerId.Value, s?.Round ?? 0, s?.DeltasSent ?? 0, s?.DeltasReceived ?? 0, s?.DeltasMerged ?? 0,
                s?.DeltasRejected ?? 0, s?.BytesIn ?? 0, s?.BytesOut ?? 0, last?.PeerBook.Count ?? 0, _learners[i] is null ? double.NaN : _task.Score(i, _learners[i]), distance);
        }

        return new RuntimeMeshResult(_scenario.Name, _scenario.Seed, _runtimes.Length, _scenario.Rounds, nodes, _network.ConnectionsOpened, Clock.EventsRun, Clock.Elapsed)
        {
            Series = _series,
            Records = _records,
            Events = _events,
        };
    }

    private RuntimeRoundSample Sample(int round)
    {
        float[]? optimum = _optimum;
        double score = 0, distance = 0;
        int connected = 0, up = 0;
        // Once per node and sample: a torch score is a held-out evaluation (about as costly as two training steps).
        double[] scores = [.. Enumerable.Range(0, _learners.Length).Select(i => _learners[i] is null ? double.NaN : _task.Score(i, _learners[i]))];
        // One read of each up node's counters per sample (GetStatus's values without the peer list it builds): the
        // means and the per-node rows share it.
        var counters = new NodeCounters?[_runtimes.Length];
        for (int i = 0; i < counters.Length; i++)
        {
            counters[i] = _runtimes[i]?.GetCounters();
        }

        foreach (int i in _honest)
        {
            if (counters[i] is not { } c)
            {
                continue;
            }

            up++;
            score += scores[i];
            distance += optimum is null ? double.NaN : Distance(_learners[i].GetAdapter(), optimum);
            connected += c.Peers;
        }

        int n = Math.Max(1, up);
        if (_perNodeRecords)
        {
            RecordNodes(round, scores, counters);
        }

        return new RuntimeRoundSample(round, up, score / n, distance / n, (double)connected / n);
    }

    /// <summary>
    /// One row per node for the round's window (what <c>netsim run</c> writes to nodes/node-NNNN.csv): held-out loss,
    /// distances to the honest up nodes' mean and to the optimum, the window's wire bytes from the node's own counters,
    /// connected peers and its round report's merged/rejected/adopted, ε spent from its ledger.
    /// </summary>
    private void RecordNodes(int round, double[] scores, NodeCounters?[] counters)
    {
        float[][] adapters = [.. _learners.Select(l => l?.GetAdapter() ?? new float[_task.Schema.TotalElements])];
        int dimension = adapters[0].Length;
        float[] consensus = new float[dimension];
        int up = 0;
        foreach (int i in _honest.Where(i => counters[i] is not null))
        {
            TensorPrimitives.Add(consensus, adapters[i], consensus);
            up++;
        }

        TensorPrimitives.Divide(consensus, Math.Max(1, up), consensus);
        for (int i = 0; i < adapters.Length; i++)
        {
            NodeCounters? status = counters[i];
            long bytesIn = status is { } c ? c.BytesIn - _bytesInAt[i] : 0;
            long bytesOut = status is { } d ? d.BytesOut - _bytesOutAt[i] : 0;
            if (status is { } now)
            {
                _bytesInAt[i] = now.BytesIn;
                _bytesOutAt[i] = now.BytesOut;
            }

            RoundReport? report = _report[i];
            _report[i] = null;
            // ε from the node's own ledger (status), as `fedmesh status` shows it; 0 without DP.
            _records.Add(new NodeRoundRecord(round, i, _byzantine[i], status is not null, scores[i], Distance(adapters[i], consensus),
                _optimum is null ? double.NaN : Distance(adapters[i], _optimum), status?.EpsilonSpent ?? 0, bytesIn, bytesOut, status?.Peers ?? 0,
                report?.Merged ?? 0, report?.Rejected ?? 0, report?.Adopted ?? false));
        }
    }

    /// <summary>A partition refuses new connections across groups and resets the open ones (nodes in no group form one
    /// more group); a heal lets connections through again. Reconnecting is the daemons' own dial loop and backoff.</summary>
    private void Apply(ScenarioEvent e)
    {
        switch (e.Kind)
        {
            case ScenarioEventKind.Crash or ScenarioEventKind.Leave:
                foreach (int n in e.Nodes)
                {
                    StopNode(n, e.Kind == ScenarioEventKind.Leave, $"round {e.Round}: {(e.Kind == ScenarioEventKind.Leave ? "leave" : "crash")} (line {e.Line})");
                }

                return;
            case ScenarioEventKind.Restart or ScenarioEventKind.Join:
                foreach (int n in e.Nodes)
                {
                    RestartAtPhase(n, e.Round, $"{(e.Kind == ScenarioEventKind.Join ? "join" : "restart")} (line {e.Line})");
                }

                return;
            case ScenarioEventKind.Degrade:
                // The link model on the in-memory pipes (RuntimeMesh.Links.cs) takes the new profile from now on.
                Degrade(e);
                _events.Add(string.Create(CultureInfo.InvariantCulture,
                    $"t={Clock.Elapsed.TotalSeconds:F3}s round {e.Round}: degrade {(e.Nodes.Count == 0 ? "all links" : "links of nodes " + string.Join(' ', e.Nodes))}: latency {e.Link!.BaseLatency.TotalMilliseconds} ms, loss {e.Link.Loss}, {e.Link.BandwidthBytesPerSecond * 8 / 1e6} Mbit/s (line {e.Line})"));
                return;
        }

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
        ReputationTracker reputation = _reputations[i];
        var coordinator = new RoundCoordinator(
            _learners[i],
            new RobustAggregator(AggregatorOptions.Default with { Rule = _scenario.Rule, MaxDegreeOfParallelism = 1 }),
            reputation,
            _scenario.ValidationGate ? new ValidationGate(_scenario.Gate, a => ((SurrogateTask)_task).GateLoss(i, _learners[i], a), reputation) : null,
            dp: null,
            ledger: null,
            _identities[i].SigningKey,
            _mesh,
            Clock,
            MeshOptions.Default with
            {
                LocalSteps = _scenario.Learner.LocalSteps,
                MaxMergeInputs = _scenario.Gossip.MaxMergeInputs,
                // gossip.mode / fanout / encoding as the daemon reads them (NodeFactory: MixingDegree = fanout).
                Mode = _scenario.Gossip.Mode,
                MixingDegree = _scenario.Gossip.Fanout,
                Encoding = _scenario.Gossip.Encoding,
                Density = _scenario.Gossip.Density,
                ModuloMargin = _scenario.Gossip.ModuloMargin,
                ErrorFeedback = _scenario.Gossip.ErrorFeedback,
                PrivacyEnabled = false,
                RoundPeriod = _scenario.Period,
                SignatureMemo = _signatures,
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
            // would list seeds; everything after the first connections is the daemon's own membership. A node without
            // a higher-index neighbour (the last one always) lists all of its neighbours: a neighbour dials a seed only
            // while it has fewer sessions than its view size, so one whose first dial came before this node started
            // may never dial again, and this node stayed alone (node 31 of a 40-node 4-regular mesh did).
            Seeds = [.. (neighbours.Any(n => n > i) ? neighbours.Where(n => n > i) : neighbours).Select(n => new Seed(new PeerAddress(AddressOf(n).ToString(), Port)))],
            MaxPeers = Math.Max(NodeParts.DefaultMaxPeers, neighbours.Length),
            MaxConnections = Math.Max(64, 4 * neighbours.Length),
            Gossip = GossipOptions.Default with { Fanout = _scenario.Gossip.Fanout, Mode = coordinator.Options.Mode, MaxDeltaAge = coordinator.Options.StalenessHorizon, SignatureMemo = _signatures },
            Rounds = coordinator,
            Learner = _learners[i],
            Reputation = reputation,
            RoundPeriod = _scenario.Period,
            HeartbeatInterval = _scenario.Gossip.Heartbeat,
            // Rounds run until the harness stops the process after the last window (restarted nodes included).
            MaxRounds = 0,
            Checkpoints = _stateRoot is null ? null : new FedMesh.Node.Storage.CheckpointStore(
                Path.Combine(_stateRoot, $"node-{i:D5}", "checkpoints"), FedMesh.Node.Configuration.CheckpointSection.Default, Clock,
                Microsoft.Extensions.Logging.Abstractions.NullLogger<FedMesh.Node.Storage.CheckpointStore>.Instance),
            SequencePath = _stateRoot is null ? null : Path.Combine(_stateRoot, $"node-{i:D5}", "sequence"),
            Transport = TransportOf(i),
            SimulatedCrypto = _scenario.SimulatedCrypto,
            PeerSampling = _scenario.Membership.ToOptions(),
            Time = Clock,
            Seed = SimSeeds.Int(_scenario.Seed, "runtime", i, _incarnation[i]),
        };
    }

    public async ValueTask DisposeAsync()
    {
        // Torch nodes' runtimes belong to their assembled nodes (DisposeTorchAsync).
        foreach (NodeRuntime? runtime in _torch is null ? _last : [])
        {
            if (runtime is not null)
            {
                await runtime.DisposeAsync().ConfigureAwait(false);
            }
        }

        await DisposeTorchAsync().ConfigureAwait(false);
        foreach (ILearner learner in _torch is null ? _learners : [])
        {
            learner?.Dispose();
        }

        foreach (NodeIdentity identity in _identities)
        {
            identity.Dispose();
        }

        if (_stateRoot is not null)
        {
            try
            {
                Directory.Delete(_stateRoot, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless; the run's outputs are elsewhere.
            }
        }
    }
}

/// <summary>One node at the end of a real-runtime run (counters from its own status; bytes are the runtime's wire
/// counts: frame bodies plus header and AEAD tag).</summary>
public sealed record RuntimeNodeResult(
    int Node, bool Byzantine, string PeerId, long Rounds, long DeltasSent, long DeltasReceived, long DeltasMerged, long DeltasRejected,
    long BytesIn, long BytesOut, int KnownPeers, double Score, double? DistanceToOptimum);

/// <summary>Means over the nodes at 0.99 of round <see cref="Round"/>'s window (the simulator's sampling point).</summary>
public sealed record RuntimeRoundSample(int Round, int HonestUp, double MeanScore, double MeanDistanceToOptimum, double MeanPeers);

/// <summary>A real-runtime run: per node, per round, and what the harness saw.</summary>
public sealed record RuntimeMeshResult(
    string Scenario, ulong Seed, int Nodes, int Rounds, IReadOnlyList<RuntimeNodeResult> PerNode, long ConnectionsOpened, long TimerEvents, TimeSpan VirtualTime)
{
    public IReadOnlyList<RuntimeRoundSample> Series { get; init; } = [];

    /// <summary>One row per node per round window (<see cref="NodeRoundRecord"/>), in round then node order.</summary>
    public IReadOnlyList<NodeRoundRecord> Records { get; init; } = [];

    /// <summary>
    /// The run as <c>netsim run</c>'s outputs: per-node rows, means over the honest up nodes per round, events.
    /// Counters come from the runtimes: messages sent = deltas sent, verified = deltas received (each passed signature
    /// verification), delivered bytes = wire bytes received (frames with header and AEAD tag); in-memory pipes drop
    /// nothing (no link model), so dropped is 0.
    /// </summary>
    public SimulationResult ToSimulationResult()
    {
        var summaries = new List<RoundSummary>();
        foreach (IGrouping<int, NodeRoundRecord> round in Records.GroupBy(r => r.Round))
        {
            NodeRoundRecord[] honest = [.. round.Where(r => !r.Byzantine && r.Up)];
            int n = Math.Max(1, honest.Length);
            summaries.Add(new RoundSummary(round.Key, honest.Length, honest.Sum(r => r.Loss) / n, honest.Sum(r => r.DistanceToConsensus) / n,
                honest.Sum(r => r.DistanceToOptimum) / n, honest.Length == 0 ? 0 : honest.Max(r => r.DistanceToOptimum), honest.Max(r => r.Epsilon),
                honest.Sum(r => r.BytesIn), honest.Sum(r => r.BytesOut)));
        }

        return new SimulationResult(Scenario, Seed, Nodes, Rounds, Records, summaries, Events, PerNode.Sum(n => n.DeltasSent), 0,
            PerNode.Sum(n => n.BytesIn), PerNode.Sum(n => n.DeltasReceived), PerNode.Sum(n => n.DeltasRejected), TimerEvents);
    }

    /// <summary>Scenario events as applied, with their virtual time.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>The per-round means as CSV (round, mean score, mean distance to the optimum, mean connected peers).</summary>
    public string SeriesCsv()
    {
        var text = new StringBuilder("round,honest_up,mean_score,mean_distance,mean_peers\n");
        foreach (RuntimeRoundSample r in Series)
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Round},{r.HonestUp},{r.MeanScore:R},{r.MeanDistanceToOptimum:R},{r.MeanPeers:R}\n");
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
