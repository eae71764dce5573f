namespace FedMesh.Node.Demo;

/// <summary>Settings of <c>fedmesh demo</c>; the defaults give a ~3-minute run on 2 cores.</summary>
public sealed record DemoOptions
{
    public static readonly DemoOptions Default = new();

    /// <summary>Node processes; 4 gives four distinct eras of the SOTU corpus (1790s–2010s).</summary>
    public int Nodes { get; init; } = 4;

    /// <summary>Rounds per node. 15 rounds × 20 steps = 300 local steps, where the tiny model's held-out bpc has
    /// mostly levelled off on one era.</summary>
    public int Rounds { get; init; } = 15;

    /// <summary>Seconds per round. 4 single-threaded nodes on 2 cores take ~3–5 s for 20 steps plus evaluation;
    /// 10 s leaves room to exchange and merge.</summary>
    public double PeriodSeconds { get; init; } = 10;

    public int LocalSteps { get; init; } = 20;

    /// <summary>Local DP noise multiplier σ. Node-level local DP with a whole round's update as the unit is a strong
    /// notion: with d ≈ 8 k adapter parameters, noise σ·C per coordinate has norm σ·C·√d, so σ must be ≈ 1/√d for the
    /// update to survive, and the ε this gives is large (reported honestly in the table and summary).</summary>
    public double NoiseMultiplier { get; init; } = 0.005;

    /// <summary>Clip norm C of each round's update, near the typical norm of a 20-step update of the tiny model.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Privacy budget ε of each node in the demo (large: see <see cref="NoiseMultiplier"/>).</summary>
    public double EpsilonBudget { get; init; } = 1_000_000;

    public string MergeRule { get; init; } = "trimmed_mean";

    /// <summary>Where node folders, logs, the plot and the summary go; null = a new temporary folder.</summary>
    public string? OutputDirectory { get; init; }

    public bool Json { get; init; }

    /// <summary>Bytes of the global held-out set scored for the summary (the same slice for every model).</summary>
    public int EvalBytes { get; init; } = 256 * 1024;
}
