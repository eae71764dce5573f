using FedMesh.Node.Learning;

namespace FedMesh.NetSim.Scenarios;

/// <summary>
/// <c>learner.kind = "torch"</c>: every node runs a real <see cref="TorchLearner"/> on the cached pretrained base and
/// its era of the SOTU corpus (<c>data.split = "sotu_era"</c>). Defaults are the node's own (<see cref="TrainerOptions"/>,
/// <see cref="LoraOptions"/>) unless a property says otherwise.
/// </summary>
public sealed record TorchSpec
{
    /// <summary>Base model shape: the node's "tiny" default; keys learner.model_layers/width/heads/context (tests use a smaller one).</summary>
    public ModelOptions Model { get; init; } = ModelOptions.Default;

    /// <summary>Pretraining steps of the base (part of its cache key). 3000: the node's and <c>fedmesh-demo</c>'s
    /// default, so the simulator reuses the base they cached.</summary>
    public int PretrainSteps { get; init; } = PretrainOptions.Default.Steps;

    /// <summary>Cache of pretrained bases. Not a scenario key; null = <see cref="BaseModelCache.DefaultDirectory"/>
    /// ($FEDMESH_CACHE_DIR, else ~/.cache/fedmesh), shared with the node and the demo.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Windows per training step (<see cref="TrainerOptions.BatchSize"/>).</summary>
    public int BatchSize { get; init; } = TrainerOptions.Default.BatchSize;

    /// <summary>AdamW learning rate (<see cref="TrainerOptions.LearningRate"/>).</summary>
    public float LearningRate { get; init; } = TrainerOptions.Default.LearningRate;

    /// <summary>LoRA rank, α and targets (<see cref="LoraOptions"/>); every node of the mesh uses the same.</summary>
    public int LoraRank { get; init; } = LoraOptions.Default.Rank;

    public float LoraAlpha { get; init; } = LoraOptions.Default.Alpha;

    public LoraTargets LoraTargets { get; init; } = LoraOptions.Default.Targets;

    /// <summary>libtorch intra-op threads. 1 (not the node's 2): the count is process-wide, the simulator runs one
    /// learner at a time anyway, and one thread makes TorchSharp's CPU results bit-for-bit repeatable.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Characters scored per evaluation, taken as equal slices from the middle of every held-out address (global
    /// held-out set for the bpc curves, the node's own held-out addresses for its validation gate), so every era
    /// counts. 16 Ki: ≈700 characters from each of the 23 global held-out addresses; an evaluation then costs about
    /// as much as 4 training steps, and all arms are scored on the same bytes, so their differences are paired.
    /// </summary>
    public int EvalChars { get; init; } = 16 * 1024;

    /// <summary>Also run the baselines (local-only, centralized pooled, FedAvg star) at equal local steps.</summary>
    public bool Baselines { get; init; }

    /// <summary>The adapter shape every node shares.</summary>
    public LoraOptions Lora => LoraOptions.Default with { Rank = LoraRank, Alpha = LoraAlpha, Targets = LoraTargets };

    /// <summary>The base this spec trains on: the node's for equal steps and model, the same cache entry and bytes
    /// (pretrained on the base's own thread count whatever <see cref="Threads"/> the learners use: the weights depend
    /// on it).</summary>
    public PretrainOptions Pretrain => PretrainOptions.Default with
    {
        Model = Model,
        Steps = PretrainSteps,
    };
}
