namespace FedMesh.Node.Demo;

/// <summary>Settings of <c>fedmesh-demo</c>. Without DP (20 steps of batch 16 a round, 2026-11-24, quiet machine): 175 s,
/// global held-out bits per byte base 2.754, local-only 2.447, mesh 2.373. With record-level DP at batch 64 × 10 steps
/// a round (2026-12-04, load average ≈ 25–37): 1560 s; base 2.754, local-only without DP 2.390, mesh with DP 2.613 at
/// ε ≤ 7.994 per node, δ = 1e-5. The defaults below take one step of 512 records a round instead (see
/// <see cref="LocalSteps"/>).</summary>
public sealed record DemoOptions
{
    public static readonly DemoOptions Default = new();

    /// <summary>Node processes; 4 gives four distinct eras of the SOTU corpus (1790s–2010s).</summary>
    public int Nodes { get; init; } = 4;

    /// <summary>Most node processes a demo starts: 32, the issue-16 overlay run (each a TorchSharp process of
    /// ≈ 250–300 MB RSS with one libtorch thread, so 32 fit a shared 24 GiB machine with room for other work).</summary>
    public const int MaxNodes = 32;

    /// <summary>gossip.fanout of every node; 0 (default) = N − 1, every other node each round (the 4-node demo's
    /// setting). A larger mesh in neighbours mode sets a small fanout (the node default is 3).</summary>
    public int Fanout { get; init; }

    /// <summary>The fanout written into the nodes' configs (see <see cref="Fanout"/>).</summary>
    public int EffectiveFanout => Fanout > 0 ? Fanout : Math.Max(1, Nodes - 1);

    /// <summary>Rounds per node. 15 rounds × 20 steps = 300 local steps, where the tiny model's held-out bpc has
    /// mostly levelled off on one era.</summary>
    public int Rounds { get; init; } = 15;

    /// <summary>Seconds per round. A round of one node is 20 steps plus two or three evaluations of its held-out
    /// documents, ≈ 2–3 s of one core; 4 nodes share 2 cores, so 6 s. Rounds that overrun it (a busy machine) simply
    /// start late, and staleness is then measured in the nodes' real round time (RoundCoordinator.RoundUnit).</summary>
    public double PeriodSeconds { get; init; } = 6;

    /// <summary>One DP-SGD step of <see cref="BatchSize"/> 512 records a round. At a fixed ε the noise on a step's mean
    /// gradient is σC√d/B, and σ grows only about as q√T (Abadi et al. 2016; q = B/n, T = steps), so few large steps
    /// carry far less noise per step than many small ones: B = 64 × 10 steps a round plans σ ≈ 0.58 (noise 1.76 against a
    /// clipped signal ≤ 1), B = 512 × 1 plans σ ≈ 0.74 (noise 0.28). Measured in process (fedmesh-bench dp-mesh, ε 8,
    /// 15 rounds): 2.5890 bits/byte against 2.6525–2.6572 for 64 × 10 (README, "Utility under record-level DP").</summary>
    public int LocalSteps { get; init; } = 1;

    /// <summary>Expected records per DP-SGD step of every node (q = B/n ≈ 0.12–0.14 for the demo's ≈ 3,700–4,400
    /// paragraph records per node); see <see cref="LocalSteps"/>. The local-only baseline has its own
    /// (<see cref="LocalOnlyBatchSize"/>).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>
    /// Learning rate of the nodes and the local-only baseline. 1e-2, not the node default 1e-3: with a few hundred
    /// steps on a 0.48 M-parameter model the higher rate gets far enough that what each era teaches differs, which is
    /// what the mesh shares. Measured in-process (4 era nodes, 15 rounds × 20 steps, plain FedAvg vs each node alone,
    /// bits/byte on the global held-out set, base 2.727): LoRA on q,v at 3e-3: 2.594 vs 2.604 (margin 0.010); q,k,v,o at
    /// 1e-2: 2.499 vs 2.564; q,k,v,o + MLP at 1e-2: 2.332 vs 2.437 (margin 0.105). Under DP with one step of 512
    /// records a round, 2e-2 (measured, ε 8, 15 rounds: 2.5890; 5e-2 diverged under the noise, 3.08 after 5 rounds).
    /// </summary>
    public double LearningRate { get; init; } = 2e-2;

    /// <summary>Steps of the local-only baseline (each node alone on its own records, no privacy): 150, the 15 rounds ×
    /// 10 steps it had when the demo's nodes ran the same schedule. Kept separate from the private mesh's schedule so
    /// that a DP-friendly schedule (few, large steps) never weakens the non-private baseline it must beat.</summary>
    public int LocalOnlySteps { get; init; } = 150;

    /// <summary>Windows per step of the local-only baseline: 64 (see <see cref="LocalOnlySteps"/>).</summary>
    public int LocalOnlyBatchSize { get; init; } = 64;

    /// <summary>Learning rate of the local-only baseline: 1e-2, the rate measured best for it (see
    /// <see cref="LearningRate"/>).</summary>
    public double LocalOnlyLearningRate { get; init; } = 1e-2;

    /// <summary>The settings the local-only baseline trains with: these options with its batch and rate.</summary>
    public DemoOptions LocalOnlyDemo() => this with { BatchSize = LocalOnlyBatchSize, LearningRate = LocalOnlyLearningRate };

    /// <summary>LoRA targets (learning.lora_targets): attention and MLP (36,864 adapter parameters at r = 8; see
    /// <see cref="LearningRate"/> for why).</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q", "k", "v", "o", "mlp_up", "mlp_down"];

    /// <summary>FFA-LoRA (learning.lora_frozen_a): A frozen at the mesh id's initialisation, only B trained and sent.</summary>
    public bool FrozenA { get; init; }

    /// <summary>LoRA rank r (α = 2r, the node default's ratio).</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary>privacy.level of every node: record-level DP-SGD by default (one record = one paragraph of an address,
    /// see <see cref="RecordChars"/>); "node" or "off" for comparison.</summary>
    public string PrivacyLevel { get; init; } = Privacy.PrivacyLevels.Record;

    /// <summary>σ of every node; 0 (default) = each node plans it at start (<see cref="Privacy.PrivacyPlanner"/>) so that
    /// <see cref="Rounds"/> rounds fit <see cref="EpsilonBudget"/> at δ = min(1e-5, 1/n) for its number of records.</summary>
    public double NoiseMultiplier { get; init; }

    /// <summary>Clip norm C of each record's gradient (record level) or each round's update (node level): 1.0, the
    /// DP-SGD default (Abadi et al. 2016); per-record gradients of the tiny model are larger, so every record is clipped.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Privacy budget ε of each node for the whole run: 8, the node default.</summary>
    public double EpsilonBudget { get; init; } = 8;

    /// <summary>The SOTU corpus ships each address as one line without paragraph breaks; the demo writes each node's
    /// addresses as records of whole sentences of at least this many characters (≈ a paragraph,
    /// <see cref="Data.Corpora.TextRecords"/>), one <c>.jsonl</c> line each, so the privacy unit is a paragraph.</summary>
    public int RecordChars { get; init; } = Data.Corpora.TextRecords.DefaultMinChars;

    /// <summary>merge.rule of the nodes; the daemon's default (<see cref="Configuration.MergeSection.Rule"/>, centered clipping), so the
    /// demo measures what <c>fedmesh run</c> does.</summary>
    public string MergeRule { get; init; } = Configuration.MergeSection.Default.Rule;

    /// <summary>gossip.mode of the nodes ("neighbours" or "flood"); null (default) leaves the daemon's default
    /// (neighbours), so the demo measures what <c>fedmesh run</c> does. Flood is there to compare bits per byte and
    /// bytes with (issue 16: neighbours within 2 % of flood at ≤ 0.25× a FedAvg server's bytes).</summary>
    public string? GossipMode { get; init; }

    /// <summary>gossip.encoding of the nodes (fp32, fp16, int8, sparse, int8-block, int8-wz); null (default) leaves the daemon's (int8-wz).</summary>
    public string? Encoding { get; init; }

    /// <summary>Where node folders, logs, the plot and the summary go; null = a new temporary folder.</summary>
    public string? OutputDirectory { get; init; }

    public bool Json { get; init; }

    /// <summary>Pretraining steps of the shared base model; the node default (<see cref="Configuration.LearningSection"/>),
    /// so the demo, its node processes and <c>fedmesh pretrain</c> share one cache entry. Tests use a few steps.</summary>
    public int PretrainSteps { get; init; } = Configuration.LearningSection.Default.PretrainSteps;

    /// <summary>libtorch threads while the demo pretrains: the base's own (<see cref="Learning.PretrainOptions.Trainer"/>, 1),
    /// which the node processes use too, so the demo's base is their cache entry. The thread count is part of the cache
    /// key (the weights depend on it), so another value pretrains and caches a base of its own.</summary>
    public int PretrainThreads { get; init; } = Learning.PretrainOptions.Default.Trainer.Threads;

    /// <summary>learning.base of every node and of the demo's scoring: "builtin" (the byte-level model pretrained for
    /// <see cref="PretrainSteps"/>; the default, so the README's demo command is unchanged) or the absolute path of a
    /// Hugging Face model folder (LoRA on its modules that <see cref="LoraTargets"/> map to, scores in bits per byte).</summary>
    public string Base { get; init; } = Configuration.LearningSection.BuiltinBase;

    /// <summary>Base-model cache folder for the demo and its node processes (passed on as $FEDMESH_CACHE_DIR);
    /// null = <see cref="Learning.BaseModelCache.DefaultDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Held-out bytes each node scores per evaluation (learning.eval_bytes): 16 KiB (256 windows) instead of
    /// the node default 64 KiB, because a node evaluates twice a round (validation gate: own and merged) and at 64 KiB
    /// that cost twice the round's training; the gate's 5 % margin is far above the noise of a 16 KiB estimate.</summary>
    public int NodeEvalBytes { get; init; } = 16 * 1024;

    /// <summary>Bytes of the global held-out set scored for the summary (the same slice for every model).</summary>
    public int EvalBytes { get; init; } = 256 * 1024;
}
