namespace FedMesh.Node.Configuration;

/// <summary>The <c>[trust]</c> section: how a received delta is validated against the local holdout set.</summary>
public sealed record TrustSection
{
    public static readonly TrustSection Default = new();

    /// <summary>
    /// A delta is rejected when it raises the holdout loss by more than 5 % (relative): DP noise alone moves the
    /// loss by less than that for the default σ, a poisoned delta usually by much more.
    /// </summary>
    public double ValidationMargin { get; init; } = 0.05;
}
