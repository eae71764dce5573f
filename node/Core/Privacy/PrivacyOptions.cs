namespace FedMesh.Node.Privacy;

/// <summary>
/// Local differential privacy and budget settings of one node. Every delta that leaves the node is clipped to
/// <see cref="ClipNorm"/> and noised with N(0, (<see cref="NoiseMultiplier"/>·C)²) per coordinate; every release
/// is charged to the ledger with the Rényi-DP accountant and refused once (<see cref="BudgetEpsilon"/>,
/// <see cref="BudgetDelta"/>) would be exceeded.
/// </summary>
public sealed record PrivacyOptions
{
    /// <summary>Defaults; each value's reason is on its property.</summary>
    public static readonly PrivacyOptions Default = new();

    /// <summary>
    /// Which mechanism the charged releases are. <see cref="PrivacyLevel.Node"/> here (the mechanism this record's
    /// other defaults describe: q = 1, one composition per release); a node configured at record level sets
    /// <see cref="PrivacyLevel.Record"/> with q = B/n and one composition per local step. Recorded with every ledger
    /// entry so an auditor sees which guarantee each charge belongs to.
    /// </summary>
    public PrivacyLevel Level { get; init; } = PrivacyLevel.Node;

    /// <summary>
    /// L2 clipping bound C of a whole adapter delta. 1.0 is the customary DP-SGD / DP-FedAvg starting point
    /// (Abadi et al. 2016; McMahan et al. 2018, "Learning differentially private recurrent language models");
    /// LoRA deltas of one local round are typically of that order, so clipping bites only on outliers.
    /// </summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>
    /// Noise multiplier σ (noise std = σ·C). 1.1 is the DP-SGD MNIST setting of Abadi et al. 2016 that gives
    /// single-digit ε over thousands of subsampled steps; with q = 1 it is a strong per-release guarantee.
    /// </summary>
    public double NoiseMultiplier { get; init; } = 1.1;

    /// <summary>
    /// Sampling rate q of one release (probability that a given record of the local data influenced it under
    /// Poisson sampling). 1.0 = no amplification assumed: the safe default when the learner does not sample.
    /// </summary>
    public double SamplingRate { get; init; } = 1.0;

    /// <summary>
    /// Compositions of the mechanism charged per release (e.g. noised local steps per delta). 1: one clipped,
    /// noised delta per round is one Gaussian mechanism.
    /// </summary>
    public long StepsPerRelease { get; init; } = 1;

    /// <summary>
    /// Total ε the node may spend over its lifetime. 10 is the upper end of what deployed federated systems
    /// report (e.g. Apple/Google production DP ranges 2–14; Ponomareva et al. 2023 "How to DP-fy ML" call ε ≤ 10
    /// a reasonable level of protection); operators with stricter needs lower it.
    /// </summary>
    public double BudgetEpsilon { get; init; } = 10.0;

    /// <summary>
    /// δ of the (ε, δ) guarantee. 1e-5 is below 1/n for the corpora a node trains on (tens of thousands of
    /// records), the usual rule that δ ≪ 1/n (Dwork and Roth 2014, §2.3).
    /// </summary>
    public double BudgetDelta { get; init; } = 1e-5;

    /// <summary>
    /// Fraction of the budget at which a warning is raised (event + log): 0.8 leaves the operator room to act
    /// (renew the data, raise σ) before releases stop.
    /// </summary>
    public double WarningFraction { get; init; } = 0.8;

    /// <summary>Checks every value; the message names the offending key and why.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm))
        {
            errors.Add($"privacy.clip_norm must be a finite number > 0, got {ClipNorm}");
        }

        // σ below ~0.3 makes the RDP bound astronomically large (e^{k²/2σ²} terms); it is no privacy at all.
        if (!(NoiseMultiplier >= 0.3) || !double.IsFinite(NoiseMultiplier))
        {
            errors.Add($"privacy.noise_multiplier must be a finite number >= 0.3, got {NoiseMultiplier}");
        }

        if (!(SamplingRate > 0 && SamplingRate <= 1))
        {
            errors.Add($"privacy.sampling_rate must be in (0, 1], got {SamplingRate}");
        }

        if (StepsPerRelease < 1)
        {
            errors.Add($"privacy.steps_per_release must be >= 1, got {StepsPerRelease}");
        }

        if (!(BudgetEpsilon > 0) || !double.IsFinite(BudgetEpsilon))
        {
            errors.Add($"privacy.budget_epsilon must be a finite number > 0, got {BudgetEpsilon}");
        }

        if (!(BudgetDelta > 0 && BudgetDelta < 1))
        {
            errors.Add($"privacy.budget_delta must be in (0, 1), got {BudgetDelta}");
        }

        if (!Enum.IsDefined(Level) || Level == PrivacyLevel.Off)
        {
            errors.Add($"privacy.level of a ledger must be \"{PrivacyLevels.Record}\" or \"{PrivacyLevels.Node}\", got {Level}");
        }

        if (!(WarningFraction > 0 && WarningFraction <= 1))
        {
            errors.Add($"privacy.warning_fraction must be in (0, 1], got {WarningFraction}");
        }

        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid key.</summary>
    public PrivacyOptions EnsureValid()
    {
        IReadOnlyList<string> errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException(string.Join("; ", errors));
    }

    /// <summary>The mechanism one release with these options is charged as.</summary>
    public GaussianRelease DefaultRelease => new(ClipNorm, NoiseMultiplier, SamplingRate, StepsPerRelease);
}
