using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

/// <summary>The aggregation rules a node can be configured with (see node/Merge/README.md).</summary>
public enum AggregationRule
{
    /// <summary>Weighted arithmetic mean: optimal without attackers, breaks with a single one.</summary>
    Mean,

    /// <summary>Coordinate-wise (weighted) median (Yin et al. 2018).</summary>
    Median,

    /// <summary>Coordinate-wise trimmed mean, β of the weight trimmed per side (Yin et al. 2018).</summary>
    TrimmedMean,

    /// <summary>Multi-Krum (Blanchard et al. 2017): mean of the m inputs with the lowest Krum scores.</summary>
    MultiKrum,

    /// <summary>Smoothed geometric median by Weiszfeld iterations (RFA, Pillutla et al. 2019).</summary>
    GeometricMedian,

    /// <summary>Centered clipping around the node's own model/momentum (Karimireddy, He, Jaggi 2021).</summary>
    CenteredClipping,
}

/// <summary>Config / CLI / JSON names of <see cref="AggregationRule"/> (snake_case, stable).</summary>
public static class AggregationRuleNames
{
    private static readonly NameTable<AggregationRule> Names = new(
        "aggregation rule",
        (AggregationRule.Mean, "mean"),
        (AggregationRule.Median, "median"),
        (AggregationRule.TrimmedMean, "trimmed_mean"),
        (AggregationRule.MultiKrum, "multi_krum"),
        (AggregationRule.GeometricMedian, "geometric_median"),
        (AggregationRule.CenteredClipping, "centered_clipping"));

    /// <summary>Every rule, in declaration order.</summary>
    public static IReadOnlyList<AggregationRule> All => Names.All;

    public static string ToName(this AggregationRule rule) => Names.ToName(rule);

    /// <summary>Parses a configured rule name; the error names the bad value and lists the valid ones.</summary>
    public static bool TryParse(string? name, out AggregationRule rule, out string error) => Names.TryParse(name, out rule, out error);

    public static AggregationRule Parse(string name) =>
        TryParse(name, out AggregationRule rule, out string error) ? rule : throw new ArgumentException(error, nameof(name));
}
