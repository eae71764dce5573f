namespace FedMesh.Node.Configuration;

/// <summary>The <c>[privacy]</c> section: differential privacy of the deltas a node publishes (DP-SGD, Abadi et al., 2016).</summary>
public sealed record PrivacySection
{
    public static readonly PrivacySection Default = new();

    /// <summary>Per-example gradient clip norm C = 1.0, the value used throughout Abadi et al. (2016, §5).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Noise multiplier σ = 1.0: noise standard deviation σ·C; Abadi et al. (2016) report useful models at σ ≈ 1.</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>Total budget ε = 8: the upper end of budgets deployed in practice for user-level DP language models.</summary>
    public double EpsilonBudget { get; init; } = 8;

    /// <summary>δ = 1e-5: below 1/n for corpora up to 100 000 records, the usual requirement δ ≪ 1/n.</summary>
    public double Delta { get; init; } = 1e-5;
}
