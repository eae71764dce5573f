namespace FedMesh.Node.Merge;

/// <summary>How much an old delta still counts (see node/Merge/README.md §Staleness).</summary>
public sealed record StalenessOptions
{
    public static readonly StalenessOptions Default = new();

    /// <summary>
    /// γ: weight multiplier per round of age. 0.5 halves a delta's influence per round, so a delta computed 3
    /// rounds ago on an older model counts 1/8 — the usual polynomial/exponential staleness damping of asynchronous
    /// FL (Xie, Koyejo, Gupta 2019, FedAsync) in its exponential form.
    /// </summary>
    public double Gamma { get; init; } = 0.5;

    /// <summary>Older deltas are dropped: 8 rounds at γ = 0.5 is a factor of 1/256, below the DP noise anyway.</summary>
    public int MaxAgeRounds { get; init; } = 8;
}

/// <summary>The staleness discount as a pure function.</summary>
public static class StalenessDiscount
{
    /// <summary>
    /// γ^age for 0 ≤ age ≤ MaxAge, 0 beyond (reject). A delta claiming a round ahead of ours (negative age: clock or
    /// round skew) gets age 0, never a bonus above 1.
    /// </summary>
    public static double Factor(long deltaRound, long currentRound, StalenessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long age = Math.Max(0, currentRound - deltaRound);
        return age > options.MaxAgeRounds ? 0.0 : Math.Pow(options.Gamma, age);
    }

    /// <summary>weight × γ^age (0 when too old).</summary>
    public static double Apply(double weight, long deltaRound, long currentRound, StalenessOptions options) =>
        weight * Factor(deltaRound, currentRound, options);
}
