namespace FedMesh.Node.Configuration;

/// <summary>
/// The <c>[privacy]</c> section: differential privacy of what a node publishes. The default is record-level DP-SGD
/// (Abadi et al. 2016): one record = one document of the data folder (a <c>.txt</c> file, a <c>.jsonl</c> line),
/// every local step a Poisson-subsampled Gaussian mechanism over the records, charged to the ledger before the
/// round trains; the released adapter is post-processing and costs nothing more.
/// </summary>
public sealed record PrivacySection
{
    public static readonly PrivacySection Default = new();

    /// <summary>"record" (default: DP-SGD, the unit is one document), "node" (each round's whole update clipped and
    /// noised once: the unit is the node's whole data set; strong but leaves little utility) or "off".</summary>
    public string Level { get; init; } = Privacy.PrivacyLevels.Record;

    /// <summary>Clip norm C = 1.0, the value used throughout Abadi et al. (2016, §5): per record (record level) or
    /// of the whole round update (node level).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Noise multiplier σ (noise std σ·C). 0 (default) = planned at start: the smallest σ that keeps
    /// <see cref="PlannedRounds"/> rounds within <see cref="EpsilonBudget"/> for this node's number of records
    /// (<see cref="Privacy.PrivacyPlanner"/>); <c>fedmesh init</c> writes the planned value when the data folder
    /// already holds the data. Any other value must be ≥ 0.3 (below it the RDP bound is vacuous).</summary>
    public double NoiseMultiplier { get; init; }

    /// <summary>Total budget ε = 8: the upper end of budgets deployed in practice for DP language models
    /// (Ponomareva et al. 2023, "How to DP-fy ML", §5.2: ε ≤ 10 "reasonable").</summary>
    public double EpsilonBudget { get; init; } = 8;

    /// <summary>δ; 0 (default) = min(1e-5, 1/n) for n training records, the usual requirement δ ≤ 1/n (Dwork and
    /// Roth 2014, §2.3).</summary>
    public double Delta { get; init; }

    /// <summary>Rounds the budget must last; 1000 rounds is ≈ 8 h at the default 30 s period, a working day of
    /// training. The planner spreads ε over them; the node reports at start how many rounds its σ allows.</summary>
    public long PlannedRounds { get; init; } = 1000;
}
