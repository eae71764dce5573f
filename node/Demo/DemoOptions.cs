namespace FedMesh.Node.Demo;

/// <summary>Settings of <c>fedmesh demo</c>. Measured with the defaults on the quiet 2-core machine (2026-11-24): 175 s
/// with a cached base (15 rounds ≈ 95 s, the local-only baselines and scoring ≈ 60 s); global held-out bits per byte
/// base 2.754, local-only 2.447, mesh 2.373.</summary>
public sealed record DemoOptions
{
    public static readonly DemoOptions Default = new();

    /// <summary>Node processes; 4 gives four distinct eras of the SOTU corpus (1790s–2010s).</summary>
    public int Nodes { get; init; } = 4;

    /// <summary>Rounds per node. 15 rounds × 20 steps = 300 local steps, where the tiny model's held-out bpc has
    /// mostly levelled off on one era.</summary>
    public int Rounds { get; init; } = 15;

    /// <summary>Seconds per round. A round of one node is 20 steps plus two or three evaluations of its held-out
    /// documents, ≈ 2–3 s of one core; 4 nodes share 2 cores, so 6 s. Rounds that overrun it (a busy machine) simply
    /// start late, and staleness is then measured in the nodes' real round time (RoundCoordinator.RoundUnit).</summary>
    public double PeriodSeconds { get; init; } = 6;

    public int LocalSteps { get; init; } = 20;

    /// <summary>
    /// Learning rate of the nodes and the local-only baseline. 1e-2, not the node default 1e-3: with a few hundred
    /// steps on a 0.48 M-parameter model the higher rate gets far enough that what each era teaches differs, which is
    /// what the mesh shares. Measured in-process (4 era nodes, 15 rounds × 20 steps, plain FedAvg vs each node alone,
    /// bits/byte on the global held-out set, base 2.727): LoRA on q,v at 3e-3: 2.594 vs 2.604 (margin 0.010); q,k,v,o at
    /// 1e-2: 2.499 vs 2.564; q,k,v,o + MLP at 1e-2: 2.332 vs 2.437 (margin 0.105).
    /// </summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>LoRA targets (learning.lora_targets): attention and MLP (36,864 adapter parameters at r = 8; see
    /// <see cref="LearningRate"/> for why).</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q", "k", "v", "o", "mlp_up", "mlp_down"];

    /// <summary>LoRA rank r (α = 2r, the node default's ratio).</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary>Local DP noise multiplier σ; 0 = off by default. Node-level local DP over a whole round's update is a
    /// strong notion: with d ≈ 8 k adapter parameters the noise norm σ·C·√d dwarfs the clipped update unless σ ≈ 1/√d,
    /// but the privacy ledger refuses σ &lt; 0.3 (below it the RDP bound is vacuous, see
    /// <see cref="Privacy.PrivacyOptions.Validate"/>). Measured at σ = 0.3 (4 nodes, 2026-11-24): the nodes' held-out
    /// bpc rose from 3.6 after the first merge to 4.5–4.9 by round 8, i.e. the mesh learned nothing. So the demo shows
    /// the mesh's utility without noise, and <c>--dp-sigma 0.3</c> shows the ledger charging real (large) ε.</summary>
    public double NoiseMultiplier { get; init; }

    /// <summary>Clip norm C of each round's update, near the typical norm of a 20-step update of the tiny model.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Privacy budget ε of each node in the demo (large: see <see cref="NoiseMultiplier"/>).</summary>
    public double EpsilonBudget { get; init; } = 1_000_000;

    public string MergeRule { get; init; } = "trimmed_mean";

    /// <summary>Where node folders, logs, the plot and the summary go; null = a new temporary folder.</summary>
    public string? OutputDirectory { get; init; }

    public bool Json { get; init; }

    /// <summary>Pretraining steps of the shared base model; the node default (<see cref="Configuration.LearningSection"/>),
    /// so the demo, its node processes and <c>fedmesh pretrain</c> share one cache entry. Tests use a few steps.</summary>
    public int PretrainSteps { get; init; } = Configuration.LearningSection.Default.PretrainSteps;

    /// <summary>libtorch threads while the demo pretrains. 1: on a shared 2-core machine two spinning OpenMP threads
    /// collapse under load (≈17 steps/s idle fell to ≈7 steps/s and below, measured); threads are not part of the cache
    /// key, so the cached base is the same entry either way.</summary>
    public int PretrainThreads { get; init; } = 1;

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
