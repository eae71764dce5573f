namespace FedMesh.Node.Merge;

/// <summary>
/// What a rule did with each of its k inputs (indexed like the inputs), for reputation and diagnostics.
/// Arrays a rule does not produce are empty.
/// </summary>
public sealed record RuleReport
{
    public static readonly RuleReport None = new();

    /// <summary>Multi-Krum: whether input i was among the m averaged.</summary>
    public IReadOnlyList<bool> Selected { get; init; } = [];

    /// <summary>Multi-Krum: input i's score, the sum of squared distances to its k − f − 2 nearest inputs.</summary>
    public IReadOnlyList<double> Scores { get; init; } = [];

    /// <summary>Centered clipping: the factor min(1, τ/‖xᵢ − v‖) of the last iteration (1 = not clipped).</summary>
    public IReadOnlyList<double> ClipFactors { get; init; } = [];

    /// <summary>Centered clipping: the radius τ used (configured or adaptive).</summary>
    public double ClipRadius { get; init; }

    /// <summary>
    /// Geometric median / centered clipping: each input's L2 distance to the returned aggregate, measured by the
    /// rule's last pass for free (so the aggregator need not read the inputs again).
    /// </summary>
    public IReadOnlyList<double> Distances { get; init; } = [];

    /// <summary>Geometric median / centered clipping: iterations run.</summary>
    public int Iterations { get; init; }
}
