namespace FedMesh.Node.Learning;

/// <summary>
/// Record-level DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy", Algorithm 1) in the local
/// trainer. One record is one document of the training data (a <c>.txt</c> file, a <c>.jsonl</c> line). Each step
/// draws records by Poisson sampling at rate q = B/n (B = <see cref="TrainerOptions.BatchSize"/>, the expected batch;
/// n = number of records), takes one token window from each sampled record (so a record is one unit however long it
/// is), computes each record's gradient of the LoRA factors, clips it to L2 norm <see cref="ClipNorm"/>, sums, adds
/// N(0, σ²C²) per coordinate and divides by B — the estimator Opacus uses for Poisson batches, whose sensitivity to
/// one record is C/B whatever the drawn batch size. Every step is then one Poisson-subsampled Gaussian mechanism
/// (q, σ) for the RDP accountant.
/// </summary>
public sealed record DpSgdOptions
{
    /// <summary>C = 1.0, the value used throughout Abadi et al. 2016 (§5) and Opacus' examples; per-record LoRA
    /// gradients of the tiny model are of order 1–10, so clipping bites on most records, which is the intended regime
    /// (Li et al. 2022, "Large language models can be strong differentially private learners", §3: small C works best).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>σ: noise std σ·C on the clipped sum. Chosen by the budget planner (<c>fedmesh privacy plan</c>) from
    /// ε, δ, n, B and the planned steps; 1.0 is only a neutral value for direct use of the learner.</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field. σ = 0 is allowed here (clipping
    /// without noise, for tests and measurements); the node's privacy configuration demands σ ≥ 0.3.</summary>
    public void Validate()
    {
        ModelOptions.Require(double.IsFinite(ClipNorm) && ClipNorm > 0, nameof(ClipNorm), "must be a finite number > 0");
        ModelOptions.Require(double.IsFinite(NoiseMultiplier) && NoiseMultiplier >= 0, nameof(NoiseMultiplier), "must be a finite number >= 0");
    }

    /// <summary>Poisson sampling rate q = min(1, B / n) of one step over <paramref name="records"/> records.</summary>
    public static double SamplingRate(int expectedBatch, int records)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        return Math.Min(1.0, (double)expectedBatch / records);
    }
}
