using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace FedMesh.Node.Demo;

/// <summary>The figures <c>fedmesh-demo</c> ends with (also its --json output).</summary>
public sealed record DemoSummary(
    double BaseBpc,
    double LocalOnlyBpc,
    double MeshBpc,
    int Rounds,
    double Seconds,
    int Nodes,
    double EpsilonSpent,
    string OutputDirectory,
    string Plot)
{
    /// <summary>Each node's ε spent over the whole run (from its ledger via status), in node order.</summary>
    public IReadOnlyList<double> NodeEpsilons { get; init; } = [];

    /// <summary>Each node's δ.</summary>
    public IReadOnlyList<double> NodeDeltas { get; init; } = [];

    /// <summary>Each node's σ (planned at start unless --dp-sigma was given) and q = B/n.</summary>
    public IReadOnlyList<double> NodeNoiseMultipliers { get; init; } = [];

    public IReadOnlyList<double> NodeSamplingRates { get; init; } = [];

    public string PrivacyLevel { get; init; } = Privacy.PrivacyLevels.Off;

    public double EpsilonBudget { get; init; }

    /// <summary>FFA-LoRA (A frozen, only B exchanged).</summary>
    public bool FrozenA { get; init; }

    /// <summary>Wire bytes sent + received by the node that moved the most over the run (from its status).</summary>
    public long BusiestNodeBytes { get; init; }

    /// <summary>
    /// What a FedAvg server would move for the same nodes and rounds: each round it receives N states and sends N,
    /// in fp32 and counting payload only (no framing), so the comparison is conservative for the mesh, whose bytes
    /// include frames, manifests and handshakes.
    /// </summary>
    public long FedavgServerBytes { get; init; }

    /// <summary>Each node's mesh adapter on the global held-out set, in node order (null: the node wrote no adapter).</summary>
    public IReadOnlyList<double?> NodeMeshBpc { get; init; } = [];

    /// <summary>Each node's local-only baseline on the global held-out set, in node order.</summary>
    public IReadOnlyList<double> NodeLocalOnlyBpc { get; init; } = [];

    /// <summary>Each node's wire bytes sent + received over the run (its last status), in node order.</summary>
    public IReadOnlyList<long> NodeBytes { get; init; } = [];

    /// <summary>Each node process's peak resident set (VmHWM, sampled while it ran), in node order.</summary>
    public IReadOnlyList<long> NodePeakRssBytes { get; init; } = [];

    /// <summary>Each node's most sessions seen at once in its status (the overlay's degree), in node order.</summary>
    public IReadOnlyList<int> NodeMaxPeers { get; init; } = [];
}

/// <summary>
/// <c>fedmesh-demo</c>: a local mesh of N real <c>fedmesh run</c> processes on loopback, node i holding era i of the
/// shipped SOTU corpus, on a cached pretrained base. A live table follows them (round, peers, train loss, held-out bpc,
/// ε); at the end the base, local-only (each node training alone for the same steps) and mesh adapters are scored on
/// the global held-out addresses (drawn from every era, in no node's data) and bpc over time is plotted.
/// </summary>
public sealed class DemoRunner(DemoOptions options, IAnsiConsole console)
{
    /// <summary>Seconds beyond one round period that finished nodes get to exit by themselves (they serve their
    /// last delta for one period first) before the demo stops them.</summary>
    private const double ShutdownGraceSeconds = 5;

    /// <summary>Least time without any node finishing a round before the demo gives up on the mesh: 5 minutes covers
    /// starting TorchSharp in every node and the slowest round seen on a loaded 2-core machine many times over.</summary>
    private const double StallSeconds = 300;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public async Task<DemoSummary> RunAsync(CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string root = options.OutputDirectory ?? Path.Combine(Path.GetTempPath(), $"fedmesh-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(root);
        // The demo scores with the base its nodes run on: the pretrained byte model, or the Hugging Face folder
        // (loaded here once more; each node process loads its own copy).
        using LearningBase learningBase = options.Base == LearningBase.Builtin
            ? LearningBase.FromBytes(Pretrain(options.PretrainSteps, cancel))
            : LearningBase.Resolve(options.Base, NodeLearning(options).Context, () => throw new InvalidOperationException("not the builtin base"));
        if (learningBase.Hf is { } hf)
        {
            Info($"base {hf.Config} from {hf.Directory} (loaded in {hf.LoadTime.TotalSeconds:F1} s)");
        }

        IReadOnlyList<SotuAddress> corpus = SotuCorpus.ReadShipped();
        SotuPartition partition = SotuPartition.Create(corpus, options.Nodes, SotuSplitOptions.Default);
        IReadOnlyList<string> globalHoldout = partition.Holdout.Select(a => a.Text).ToArray();
        // Every node binds port 0 (gossip and admin; pre-picked free ports race with other processes) and writes
        // what it bound to its state directory: node 1 starts first, the others are seeded with its address, and
        // peer exchange (SPEC §9.8) connects them all.
        var nodes = new List<DemoNode>();
        for (int i = 0; i < options.Nodes; i++)
        {
            nodes.Add(WriteNode(root, i, partition.Shards[i], seeds: []));
        }

        Info($"{options.Nodes} nodes in {root}");
        foreach (DemoNode n in nodes)
        {
            Info($"  node {n.Index + 1}: {n.Shard.Describe()}");
        }

        var history = new List<(int Round, int Node, double Bpc)>();
        try
        {
            nodes[0].Process = Start(nodes[0]);
            string first = await nodes[0].WaitForEndpointsAsync(TimeSpan.FromSeconds(StallSeconds), cancel).ConfigureAwait(false);
            foreach (DemoNode n in nodes.Skip(1))
            {
                WriteNode(root, n.Index, n.Shard, seeds: [first]);
                n.Process = Start(n);
            }

            await FollowAsync(nodes, history, clock, cancel).ConfigureAwait(false);
        }
        finally
        {
            foreach (DemoNode n in nodes)
            {
                Stop(n);
            }
        }

        Info("scoring base, local-only and mesh adapters on the global held-out addresses …");
        // The nodes' own [learning] section (WriteNode), so the three models differ only in what they saw; only the
        // scoring evaluation is larger than the nodes' per-round one.
        (LoraOptions lora, TrainerOptions trainer) = NodeFactory.LearnerOptions(NodeLearning(options) with { EvalBytes = options.EvalBytes }, MeshName);
        double baseBpc, meshBpc, localBpc;
        long stateValues;
        var meshScores = new double?[nodes.Count];
        using (TorchLearner scorer = learningBase.CreateLearner(lora, trainer, globalHoldout))
        {
            baseBpc = scorer.Evaluate(globalHoldout, new float[scorer.Schema.TotalElements]).BitsPerByte;
            stateValues = scorer.Schema.TotalElements;
            foreach (DemoNode n in nodes)
            {
                string dir = new Storage.StatePaths(n.StateDir).Adapter;
                if (File.Exists(Path.Combine(dir, AdapterCheckpoint.TensorsFile)))
                {
                    AdapterCheckpoint.LoadInto(dir, scorer);
                    meshScores[n.Index] = scorer.Evaluate(globalHoldout).BitsPerByte;
                }
            }

            double[] scored = meshScores.OfType<double>().ToArray();
            meshBpc = scored.Length > 0 ? scored.Average() : double.NaN;
        }

        // Local-only: the same base, adapter and data, no exchange and no noise, on the baseline's own schedule
        // (DemoOptions.LocalOnlySteps/BatchSize/LearningRate, whatever the private mesh runs). One libtorch thread per
        // learner and the learners side by side, one per core: two OpenMP threads on one learner collapse when the
        // machine is busy (the baseline took > 15 min at load average 20, measured), independent learners do not.
        Info($"training the local-only baselines ({options.LocalOnlySteps} steps of {options.LocalOnlyBatchSize} windows per node, each node's data alone) …");
        (LoraOptions aloneLora, TrainerOptions aloneTrainer) = NodeFactory.LearnerOptions(NodeLearning(options.LocalOnlyDemo()) with { EvalBytes = options.EvalBytes }, MeshName);
        double[] localScores = LocalOnlyBaseline.Run(nodes.Count, i => learningBase.CreateLearner(aloneLora, aloneTrainer, Records(nodes[i].Shard)),
            options.LocalOnlySteps, globalHoldout, Environment.ProcessorCount, cancel);
        localBpc = localScores.Average();

        double epsilon = nodes.Max(n => n.LastEpsilon);
        double[] nodeEpsilons = nodes.Select(n => n.LastEpsilon).ToArray();
        string plot = Path.Combine(root, "demo-bpc.png");
        DemoPlot.Save(plot, history, options.Nodes, baseBpc, meshBpc, localBpc);
        int rounds = nodes.Min(n => n.LastRound);
        var summary = new DemoSummary(baseBpc, localBpc, meshBpc, rounds, clock.Elapsed.TotalSeconds, options.Nodes, epsilon, root, plot)
        {
            BusiestNodeBytes = nodes.Max(n => n.BytesIn + n.BytesOut),
            FedavgServerBytes = FedAvgServerBytes(options.Nodes, rounds, stateValues),
            NodeEpsilons = nodeEpsilons,
            NodeDeltas = nodes.Select(n => n.LastDelta).ToArray(),
            PrivacyLevel = options.PrivacyLevel,
            EpsilonBudget = options.EpsilonBudget,
            FrozenA = options.FrozenA,
            NodeNoiseMultipliers = nodes.Select(n => n.NoiseMultiplier).ToArray(),
            NodeSamplingRates = nodes.Select(n => n.SamplingRate).ToArray(),
            NodeMeshBpc = meshScores,
            NodeLocalOnlyBpc = localScores,
            NodeBytes = nodes.Select(n => n.BytesIn + n.BytesOut).ToArray(),
            NodePeakRssBytes = nodes.Select(n => n.PeakRssBytes).ToArray(),
            NodeMaxPeers = nodes.Select(n => n.MaxPeers).ToArray(),
        };
        File.WriteAllText(Path.Combine(root, "summary.json"), JsonSerializer.Serialize(summary, AdminServer.Json));
        return summary;
    }

    /// <summary>A FedAvg server's bytes over <paramref name="rounds"/>: it receives <paramref name="nodes"/> fp32 states
    /// of <paramref name="stateValues"/> values and sends as many back each round.</summary>
    internal static long FedAvgServerBytes(int nodes, int rounds, long stateValues) => 2L * nodes * rounds * stateValues * sizeof(float);

    private BaseModel Pretrain(int steps, CancellationToken cancel)
    {
        PretrainOptions pretrain = PretrainOptions.Default with
        {
            Steps = steps,
            Trainer = PretrainOptions.Default.Trainer with { Threads = options.PretrainThreads },
        };
        string cache = CacheDirectory;
        if (File.Exists(BaseModelCache.PathFor(pretrain, cache)))
        {
            return BaseModelCache.GetOrCreate(pretrain, cache, cancellationToken: cancel);
        }

        Info($"pretraining the base model on Moby-Dick ({steps} steps, cached in {cache}; later runs reuse it) …");
        if (options.Json || !console.Profile.Capabilities.Interactive)
        {
            // Pipes and CI: a plain line every tenth of the run instead of a progress bar.
            var lines = new PretrainProgressLines((p, elapsed) => Info(PretrainProgressLines.StepLine(p, elapsed)));
            return BaseModelCache.GetOrCreate(pretrain, cache, lines, cancellationToken: cancel);
        }

        BaseModel? model = null;
        console.Progress().Start(ctx =>
        {
            ProgressTask task = ctx.AddTask("pretrain", maxValue: steps);
            var progress = new Progress<PretrainProgress>(p =>
            {
                task.Value = p.Step;
                task.Description = string.Create(CultureInfo.InvariantCulture, $"pretrain loss {p.Loss:F3}");
            });
            model = BaseModelCache.GetOrCreate(pretrain, cache, progress, NullLogger.Instance, cancel);
            task.Value = steps;
        });
        return model!;
    }

    /// <summary>network.mesh_id of the demo's nodes (it also seeds FFA-LoRA's frozen A).</summary>
    internal const string MeshName = "demo";

    private string CacheDirectory => options.CacheDirectory ?? BaseModelCache.DefaultDirectory;

    /// <summary>
    /// The <c>[learning]</c> section every demo node runs with (written into its config by <see cref="WriteNode"/>),
    /// and from which the in-process local-only baselines take their learner options. One libtorch thread per node:
    /// the nodes, and later the baselines, run side by side on the machine's cores.
    /// </summary>
    internal static LearningSection NodeLearning(DemoOptions options) => LearningSection.Default with
    {
        Threads = 1,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        LoraRank = options.LoraRank,
        LoraAlpha = 2.0 * options.LoraRank,
        LoraTargets = options.LoraTargets.ToList(),
        LoraFrozenA = options.FrozenA,
        PretrainSteps = options.PretrainSteps,
        EvalBytes = options.NodeEvalBytes,
        Base = options.Base,
    };

    /// <summary>A node's records: its addresses cut into paragraphs (the privacy unit of record-level DP).</summary>
    private IReadOnlyList<string> Records(SotuShard shard) => TextRecords.Paragraphs(shard.Texts, options.RecordChars);

    /// <summary>Writes (or rewrites) a node's folder and configuration.</summary>
    private DemoNode WriteNode(string root, int index, SotuShard shard, IReadOnlyList<string> seeds)
    {
        string dir = Path.Combine(root, $"node-{index + 1}");
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "sotu-era.jsonl"), Records(shard).Select(t => JsonSerializer.Serialize(new { text = t })));
        LearningSection learning = NodeLearning(options);
        var overrides = new Dictionary<string, object>
        {
            ["node.name"] = $"demo-{index + 1}",
            ["node.state_dir"] = Path.Combine(dir, "state"),
            ["node.seed"] = (long)(index + 1),
            ["network.listen_address"] = "127.0.0.1",
            ["network.listen_port"] = 0L,
            ["network.mesh_id"] = MeshName,
            ["network.seeds"] = seeds.ToList(),
            ["network.mdns"] = false,
            ["gossip.period_seconds"] = options.PeriodSeconds,
            ["gossip.local_steps"] = (long)options.LocalSteps,
            ["gossip.max_rounds"] = (long)options.Rounds,
            ["gossip.fanout"] = (long)options.EffectiveFanout,
            ["learning.threads"] = (long)learning.Threads,
            ["learning.batch_size"] = (long)learning.BatchSize,
            ["learning.lr"] = learning.LearningRate,
            ["learning.lora_rank"] = (long)learning.LoraRank,
            ["learning.lora_alpha"] = learning.LoraAlpha,
            ["learning.lora_targets"] = learning.LoraTargets.ToList(),
            ["learning.lora_frozen_a"] = learning.LoraFrozenA,
            ["learning.pretrain_steps"] = (long)learning.PretrainSteps,
            ["learning.base"] = learning.Base,
            ["learning.eval_bytes"] = (long)learning.EvalBytes,
            ["data.folder"] = data,
            ["data.redaction_rules"] = false,
            ["merge.rule"] = options.MergeRule,
            ["privacy.level"] = options.PrivacyLevel,
            ["privacy.noise_multiplier"] = options.NoiseMultiplier,
            ["privacy.clip_norm"] = options.ClipNorm,
            ["privacy.epsilon_budget"] = options.EpsilonBudget,
            ["privacy.planned_rounds"] = (long)options.Rounds,
            ["admin.enabled"] = true,
            // The admin endpoint serves /metrics too; a separate metrics port per node would collide on the default.
            ["metrics.enabled"] = false,
            ["admin.listen"] = "127.0.0.1:0",
        };
        // Only when asked: otherwise the nodes run the daemon's defaults (what `fedmesh run` does).
        if (options.GossipMode is { } mode)
        {
            overrides["gossip.mode"] = mode;
        }

        if (options.Encoding is { } encoding)
        {
            overrides["gossip.encoding"] = encoding;
        }

        string config = Path.Combine(dir, "fedmesh.toml");
        ConfigWriter.WriteDefault(config, overrides);
        return new DemoNode(index, shard, config, Path.Combine(dir, "state"), Path.Combine(dir, "node.log"));
    }

    private Process Start(DemoNode node)
    {
        IReadOnlyList<string> fedmesh = FedmeshExecutable.Command();
        var start = new ProcessStartInfo(fedmesh[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in fedmesh.Skip(1).Concat(["run", "--config", node.Config]))
        {
            start.ArgumentList.Add(arg);
        }

        // The nodes must load the base model the demo just pretrained or loaded, from the same cache.
        start.Environment[BaseModelCache.DirectoryVariable] = CacheDirectory;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a node process");
        var log = new StreamWriter(node.LogPath) { AutoFlush = true };
        // The log closes when both streams have ended (null line = end of stream), not at process exit, which can
        // come before the last lines are delivered.
        int open = 2;
        void Write(DataReceivedEventArgs e)
        {
            lock (log)
            {
                if (e.Data is not null)
                {
                    log.WriteLine(e.Data);
                }
                else if (--open == 0)
                {
                    log.Dispose();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e);
        process.ErrorDataReceived += (_, e) => Write(e);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(DemoNode node)
    {
        if (node.Process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
        }

        // Without a timeout WaitForExit also waits until the redirected output has been read to its end.
        node.Process?.WaitForExit();
    }

    private async Task FollowAsync(List<DemoNode> nodes, List<(int, int, double)> history, Stopwatch clock, CancellationToken cancel)
    {
        // Nodes stop by themselves after their rounds. Give up only when no node has finished a round for a long time
        // (a hung or crashed mesh), not after a fixed total: on a busy machine rounds overrun the period many times
        // over (≈ 45 s against 6 s at load average 30, measured) and a fixed limit cut the run short at round 11 of 15.
        TimeSpan stallLimit = TimeSpan.FromSeconds(Math.Max(StallSeconds, 10 * options.PeriodSeconds));
        TimeSpan lastProgress = clock.Elapsed;
        long progress = -1;
        bool live = !options.Json && console.Profile.Capabilities.Interactive;
        Table table = NewTable();
        async Task Poll()
        {
            foreach (DemoNode n in nodes)
            {
                await n.RefreshAsync(_http, cancel).ConfigureAwait(false);
                if (n.LastBpc is { } bpc && n.LastRound > n.PlottedRound)
                {
                    n.PlottedRound = n.LastRound;
                    history.Add((n.LastRound, n.Index, bpc));
                    if (!live && !options.Json)
                    {
                        // Raw to the output writer: Spectre wraps at 80 columns when the output is not a terminal.
                        console.Profile.Out.Writer.WriteLine(n.Line());
                    }
                }
            }
        }

        // A node exports its adapter with every round's checkpoint, so once all report their last round the run is
        // over; a node whose shutdown stalls is not waited for beyond one more period (then Stop kills it).
        TimeSpan? finished = null;
        bool Done()
        {
            if (finished is null && nodes.All(n => n.LastRound >= options.Rounds))
            {
                finished = clock.Elapsed;
            }

            long rounds = nodes.Sum(n => (long)n.LastRound);
            if (rounds != progress)
            {
                (progress, lastProgress) = (rounds, clock.Elapsed);
            }

            if (clock.Elapsed - lastProgress > stallLimit)
            {
                Info($"no node finished a round for {stallLimit.TotalSeconds:F0} s: stopping the mesh and scoring what it has");
                return true;
            }

            return nodes.All(n => n.Process!.HasExited)
                || clock.Elapsed - finished > TimeSpan.FromSeconds(options.PeriodSeconds + ShutdownGraceSeconds);
        }

        if (live)
        {
            await console.Live(table).StartAsync(async ctx =>
            {
                while (!Done())
                {
                    await Poll().ConfigureAwait(false);
                    Fill(table, nodes, clock.Elapsed);
                    ctx.Refresh();
                    await Task.Delay(1000, cancel).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
        else
        {
            while (!Done())
            {
                await Poll().ConfigureAwait(false);
                await Task.Delay(1000, cancel).ConfigureAwait(false);
            }
        }

        foreach (DemoNode n in nodes.Where(n => n.Process!.HasExited))
        {
            n.Process!.WaitForExit();
        }

        foreach (DemoNode n in nodes.Where(n => n.Process!.HasExited && n.Process.ExitCode != 0 && n.LastRound < options.Rounds))
        {
            throw new InvalidOperationException(
                $"node {n.Index + 1} stopped early (exit {n.Process!.ExitCode}); last lines of {n.LogPath}:{Environment.NewLine}{Tail(n.LogPath)}");
        }
    }

    /// <summary>The last lines of a node's log, so a failure names its cause without opening files.</summary>
    private static string Tail(string path)
    {
        const int Lines = 12;
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(path).TakeLast(Lines));
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    private static Table NewTable() =>
        new Table().AddColumns("node", "era", "round", "peers", "train loss", "held-out bpc", "ε spent", "deltas in/out");

    private static void Fill(Table table, List<DemoNode> nodes, TimeSpan elapsed)
    {
        table.Rows.Clear();
        table.Caption($"{elapsed.TotalSeconds:F0} s");
        foreach (DemoNode n in nodes)
        {
            table.AddRow(n.Cells());
        }
    }

    /// <summary>Progress text: grey on the console, or on stderr with --json so that stdout stays one JSON document.</summary>
    private void Info(string text)
    {
        if (options.Json)
        {
            Console.Error.WriteLine(text);
        }
        else if (!console.Profile.Capabilities.Interactive)
        {
            console.Profile.Out.Writer.WriteLine(text);
        }
        else
        {
            console.MarkupLineInterpolated($"[grey]{text}[/]");
        }
    }

}
