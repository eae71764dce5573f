namespace FedMesh.Node.Merge;

/// <summary>One incoming delta for <see cref="IAggregator"/>.</summary>
/// <param name="Values">d floats in the adapter schema's order.</param>
/// <param name="Weight">Aggregation weight: reputation × staleness discount × push-sum weight, as the caller decides.</param>
/// <param name="Source">Who sent it (peer id text), carried into the outcome for reputation and logs.</param>
public sealed record DeltaInput(ReadOnlyMemory<float> Values, double Weight = 1.0, string? Source = null);

/// <summary>What happened to input <see cref="Index"/>; reputation reads these.</summary>
public sealed record DeltaOutcome
{
    public required int Index { get; init; }

    public string? Source { get; init; }

    public RejectionReason Rejection { get; init; }

    /// <summary>Why it was rejected, naming the offending value; empty when accepted.</summary>
    public string Detail { get; init; } = string.Empty;

    public bool Accepted => Rejection == RejectionReason.None;

    /// <summary>Factor applied by norm bounding (1 = within the bound).</summary>
    public float NormScale { get; init; } = 1f;

    /// <summary>Multi-Krum: chosen for the average. Other rules: true for every accepted delta.</summary>
    public bool Selected { get; init; }

    /// <summary>Centered clipping: the last clip factor (1 = not clipped); 1 for other rules.</summary>
    public double ClipFactor { get; init; } = 1.0;

    /// <summary>L2 distance of the (norm-bounded) delta to the aggregate; NaN when not measured or rejected.</summary>
    public double DistanceToAggregate { get; init; } = double.NaN;
}

/// <summary>The outcome of one aggregation: per-input outcomes (same order as the inputs) and the rule's report.</summary>
public sealed record AggregationResult
{
    public required AggregationRule Rule { get; init; }

    public required IReadOnlyList<DeltaOutcome> Outcomes { get; init; }

    /// <summary>The rule's own diagnostics, indexed over the accepted inputs only.</summary>
    public RuleReport Report { get; init; } = RuleReport.None;

    public int AcceptedCount => Outcomes.Count(o => o.Accepted);

    /// <summary>False when nothing was accepted: the destination was then left untouched.</summary>
    public bool HasAggregate => AcceptedCount > 0;
}

/// <summary>A configured aggregation rule; pick one by name with <see cref="RobustAggregator"/>.</summary>
public interface IAggregator
{
    AggregatorOptions Options { get; }

    /// <summary>
    /// Validates, norm-bounds and aggregates the inputs into <paramref name="destination"/> (length d).
    /// <paramref name="center"/> is the centered-clipping reference (empty = zero = the node's own model).
    /// Never throws for bad inputs: they are rejected with reasons in the result.
    /// <paramref name="fallbackClipRadius"/> is centered clipping's radius when its adaptive radius comes out 0 while
    /// an input lies away from the center (see <see cref="Aggregation.CenteredClipping"/>); 0 = none.
    /// </summary>
    AggregationResult Aggregate(IReadOnlyList<DeltaInput> inputs, Span<float> destination, ReadOnlySpan<float> center = default, double fallbackClipRadius = 0);
}
