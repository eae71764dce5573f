using System.Globalization;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning;
using FedMesh.Node.Merge;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// What a torch scenario's nodes are built from: one shared base (the cached pretrained byte model), node i's records
/// (era i of the shipped SOTU corpus cut into paragraphs, the privacy unit of record-level DP, as <c>fedmesh-demo</c>
/// does), the global held-out sample the loss column scores, and the <c>[learning]</c> / <c>[privacy]</c> sections
/// every node's <see cref="NodeOptions"/> carry. The nodes themselves are assembled by the daemon's
/// <see cref="Node.Hosting.NodeFactory"/> from those options (train/held-out split, DP resolution, ledger, gate).
/// </summary>
internal sealed class TorchWorkload : ISimTask, IDisposable
{
    private TorchWorkload(Scenario scenario, LearningBase learningBase, IReadOnlyList<IReadOnlyList<string>> records, IReadOnlyList<string> globalEval)
    {
        Scenario = scenario;
        Base = learningBase;
        Records = records;
        GlobalEval = globalEval;
        TorchSpec spec = scenario.Learner.Torch;
        Learning = LearningSection.Default with
        {
            Threads = spec.Threads,
            BatchSize = spec.BatchSize,
            LearningRate = spec.LearningRate,
            LoraRank = spec.LoraRank,
            LoraAlpha = spec.LoraAlpha,
            LoraTargets = TargetNames(spec.LoraTargets),
            PretrainSteps = spec.PretrainSteps,
            // Exactly the scored sample: the learner scores at most EvalBytes of a text list, and the same cap bounds the
            // daemon's per-round held-out evaluation and validation gate (as the old simulator capped them).
            EvalBytes = EvalSample.StreamBytes(globalEval),
        };
        (LoraOptions lora, TrainerOptions trainer) = Node.Hosting.NodeFactory.LearnerOptions(Learning, scenario.Name);
        Lora = lora;
        Trainer = trainer;
        using TorchLearner probe = learningBase.CreateLearner(lora, trainer, []);
        Schema = probe.Schema;
        BaseModelHash = probe.BaseModelHash.ToArray();
    }

    public Scenario Scenario { get; }

    public LearningBase Base { get; }

    /// <summary>Node i's records (all of them: the node's own split holds some out for its validation gate).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Records { get; }

    /// <summary>The bpc sample: equal slices of every global held-out address (in no node's data).</summary>
    public IReadOnlyList<string> GlobalEval { get; }

    /// <summary>The <c>[learning]</c> section of every node.</summary>
    public LearningSection Learning { get; }

    /// <summary>What <see cref="Node.Hosting.NodeFactory.LearnerOptions"/> makes of <see cref="Learning"/> (the baselines use it).</summary>
    public LoraOptions Lora { get; }

    public TrainerOptions Trainer { get; }

    public AdapterSchema Schema { get; }

    public ReadOnlyMemory<byte> BaseModelHash { get; }

    /// <summary>Loads (or pretrains and caches) the base and cuts the corpus into the nodes' records.</summary>
    public static TorchWorkload Create(Scenario scenario, Action<string> info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(info);
        TorchSpec spec = scenario.Learner.Torch;
        BaseModel baseModel = LoadBase(spec, info, cancellationToken);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), scenario.Nodes, SotuSplitOptions.Default);
        var records = new List<IReadOnlyList<string>>();
        for (int i = 0; i < scenario.Nodes; i++)
        {
            IReadOnlyList<string> own = TextRecords.Paragraphs(partition.Shards[i].Texts);
            records.Add(own);
            info(string.Create(CultureInfo.InvariantCulture, $"  {partition.Shards[i].Describe()}; {own.Count} records"));
        }

        IReadOnlyList<string> global = EvalSample.Slices(partition.Holdout.Select(a => a.Text).ToArray(), spec.EvalChars);
        return new TorchWorkload(scenario, LearningBase.FromBytes(baseModel), records, global);
    }

    /// <summary>
    /// Node <paramref name="node"/>'s configuration, as an operator would write it: its state and data folders,
    /// listen address, seeds, the scenario's gossip, merge and privacy settings; admin, metrics and mDNS off.
    /// </summary>
    public NodeOptions Options(int node, string stateDir, string dataFolder, string listenAddress, int port, IReadOnlyList<string> seeds, int degree, long seed) =>
        NodeOptions.Default with
        {
            Node = NodeSection.Default with { Name = $"netsim-{node}", StateDir = stateDir, Seed = seed },
            Network = NetworkSection.Default with
            {
                ListenAddress = listenAddress,
                ListenPort = port,
                MeshId = Scenario.Name,
                Seeds = seeds,
                Mdns = false,
                MaxPeers = Math.Max(NetworkSection.Default.MaxPeers, degree),
                MaxConnections = Math.Max(NetworkSection.Default.MaxConnections, 4 * degree),
            },
            Gossip = GossipSection.Default with
            {
                PeriodSeconds = Scenario.Period.TotalSeconds,
                Fanout = Scenario.Gossip.Fanout,
                Mode = Scenario.Gossip.Mode.Name(),
                Encoding = WireEncodings.Name(Scenario.Gossip.Encoding),
                Density = Scenario.Gossip.Density,
                LocalSteps = Scenario.Learner.LocalSteps,
                // Rounds run until the harness stops the process after the last window.
                MaxRounds = 0,
            },
            Membership = Scenario.Membership,
            Learning = Learning,
            // The corpus is public text: redaction would only cost time.
            Data = DataSection.Default with { Folder = dataFolder, RedactionRules = false },
            Merge = MergeSection.Default with { Rule = Scenario.Rule.ToName() },
            Privacy = Scenario.Privacy ?? PrivacySection.Default with { Level = FedMesh.Node.Privacy.PrivacyLevels.Off, PlannedRounds = Scenario.Rounds },
            Admin = EndpointSection.DefaultAdmin with { Enabled = false },
            Metrics = EndpointSection.DefaultMetrics with { Enabled = false },
        };

    public double Score(int node, ILearner learner) => learner.Evaluate(GlobalEval).BitsPerByte;

    /// <summary>Real language data has no known optimum.</summary>
    public float[]? OptimumOf(IEnumerable<int> nodes) => null;

    public void Dispose() => Base.Dispose();

    /// <summary>LoRA target flags → the config's names (q, k, v, o, mlp_up, mlp_down).</summary>
    private static IReadOnlyList<string> TargetNames(LoraTargets targets) =>
        new[] { "q", "k", "v", "o", "mlp_up", "mlp_down" }.Where(n => LoraTargetNames.TryParse([n], out LoraTargets t, out _) && targets.HasFlag(t)).ToArray();

    private static BaseModel LoadBase(TorchSpec spec, Action<string> info, CancellationToken cancellationToken)
    {
        PretrainOptions pretrain = spec.Pretrain;
        string cache = spec.CacheDirectory ?? BaseModelCache.DefaultDirectory;
        string path = BaseModelCache.PathFor(pretrain, cache);
        if (File.Exists(path))
        {
            info($"base model: {path}");
            return BaseModelCache.GetOrCreate(pretrain, cache, cancellationToken: cancellationToken);
        }

        info(string.Create(CultureInfo.InvariantCulture,
            $"pretraining the base model on Moby-Dick ({spec.PretrainSteps} steps, {pretrain.Trainer.Threads} thread(s)): this takes minutes; cached in {cache}, later runs reuse it"));
        var progress = new PretrainProgressLines((p, elapsed) => info(PretrainProgressLines.StepLine(p, elapsed)));
        return BaseModelCache.GetOrCreate(pretrain, cache, progress, cancellationToken: cancellationToken);
    }
}
