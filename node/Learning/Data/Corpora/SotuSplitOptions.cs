namespace FedMesh.Node.Data.Corpora;

/// <summary>How the SOTU addresses are dealt to the nodes of a demo federation.</summary>
public enum SotuSplitMode
{
    /// <summary>Node i of n gets one contiguous range of years, balanced by characters: strongly non-IID
    /// (vocabulary, topics and style drift over 227 years).</summary>
    Era,

    /// <summary>Addresses shuffled by seed, then dealt in contiguous runs balanced by characters: the IID baseline.</summary>
    Iid,
}

/// <summary>Options of <see cref="SotuPartition.Create"/>.</summary>
public sealed record SotuSplitOptions
{
    public static readonly SotuSplitOptions Default = new();

    public SotuSplitMode Mode { get; init; } = SotuSplitMode.Era;

    /// <summary>
    /// Share of the addresses held out globally for evaluation. 10 % (23 of 233 addresses, 1.5 M characters with the
    /// default seed): enough text for a stable held-out perplexity, about one address per decade, and each of up to 8
    /// eras keeps over 1 M characters to train on.
    /// </summary>
    public double HoldoutFraction { get; init; } = 0.10;

    /// <summary>Seed of the held-out choice and of the IID shuffle. 1790: the first address; any fixed value works,
    /// a fixed default makes every demo run comparable.</summary>
    public ulong Seed { get; init; } = 1790;
}
