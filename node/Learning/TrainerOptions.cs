namespace FedMesh.Node.Learning;

/// <summary>Local LoRA training: AdamW on the adapter only (Loshchilov &amp; Hutter 2019).</summary>
public sealed record TrainerOptions
{
    public static readonly TrainerOptions Default = new();

    /// <summary>16 windows of Context bytes: 1024 predicted bytes per step, a stable gradient on a CPU budget.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>LoRA tolerates larger rates than full fine-tuning; 3e-3 converges in tens of steps on this model.</summary>
    public float LearningRate { get; init; } = 3e-3f;

    /// <summary>Adam β1/β2/ε: the paper's defaults (Kingma &amp; Ba 2015).</summary>
    public float Beta1 { get; init; } = 0.9f;

    public float Beta2 { get; init; } = 0.999f;

    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>No decay by default: decay on B pulls the adapter toward the base between rounds.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip 1.0, the usual transformer setting; protects against rare bad batches.</summary>
    public float ClipNorm { get; init; } = 1f;

    /// <summary>Two threads: measured fastest on a 2-core machine for this model size; 0 leaves libtorch's default.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Seeds batch sampling (and LoRA A's initialisation); equal seeds and data give equal rounds.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Cap of held-out bytes scored per evaluation: 64 KiB gives a bpc estimate stable to ≈0.01 in well under a second.</summary>
    public int MaxEvalBytes { get; init; } = 64 * 1024;

    /// <summary>Record-level DP-SGD settings; null (default) trains without privacy (batches of windows drawn
    /// uniformly from the concatenated documents, global clipping at <see cref="ClipNorm"/>).</summary>
    public DpSgdOptions? DpSgd { get; init; }

    public void Validate()
    {
        ModelOptions.Require(BatchSize is >= 1 and <= 4096, nameof(BatchSize), "must be 1..4096");
        ModelOptions.Require(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), "must be positive");
        ModelOptions.Require(Beta1 is >= 0f and < 1f && Beta2 is >= 0f and < 1f, nameof(Beta1), "and Beta2 must be in [0, 1)");
        ModelOptions.Require(float.IsFinite(Epsilon) && Epsilon > 0, nameof(Epsilon), "must be positive");
        ModelOptions.Require(WeightDecay is >= 0f and < 1f, nameof(WeightDecay), "must be in [0, 1)");
        ModelOptions.Require(float.IsFinite(ClipNorm) && ClipNorm > 0, nameof(ClipNorm), "must be positive");
        ModelOptions.Require(Threads is >= 0 and <= 256, nameof(Threads), "must be 0..256");
        ModelOptions.Require(MaxEvalBytes >= 2, nameof(MaxEvalBytes), "must be at least 2");
        DpSgd?.Validate();
    }
}
