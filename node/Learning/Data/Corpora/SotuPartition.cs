namespace FedMesh.Node.Data.Corpora;

/// <summary>
/// A demo federation over the SOTU corpus: a global held-out set, and one training shard per node that never
/// contains a held-out address.
/// </summary>
public sealed record SotuPartition(IReadOnlyList<SotuShard> Shards, IReadOnlyList<SotuAddress> Holdout)
{
    /// <summary>
    /// Holds out <see cref="SotuSplitOptions.HoldoutFraction"/> of the corpus across all years (see
    /// <see cref="GlobalHoldout"/>), then splits the rest among <paramref name="nodeCount"/> nodes by era or IID.
    /// Deterministic for given addresses and options.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">More nodes than there are years (era) or addresses (IID) to give them.</exception>
    public static SotuPartition Create(IReadOnlyList<SotuAddress> addresses, int nodeCount, SotuSplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var ordered = addresses.OrderBy(a => a.Year).ThenBy(a => a.President, StringComparer.Ordinal).ToArray();
        var holdout = GlobalHoldout(ordered, options.HoldoutFraction, options.Seed);
        var held = holdout.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        var pool = ordered.Where(a => !held.Contains(a.Id)).ToArray();
        var shards = options.Mode == SotuSplitMode.Era
            ? ByEra(pool, nodeCount)
            : Iid(pool, nodeCount, options.Seed);
        return new SotuPartition(shards, holdout);
    }

    /// <summary>
    /// Stratified held-out set: the year-ordered corpus is cut into h = round(fraction · number of addresses) strata
    /// of equal character mass, and from each the address with the smallest seeded hash
    /// (<see cref="DocumentSplit.UnitHash"/>) is held out. Every stretch of the corpus at least two strata long
    /// therefore contains a held-out address, so each era of a split into up to ~h/2 nodes is evaluated; a plain
    /// random draw could leave whole decades out.
    /// </summary>
    public static IReadOnlyList<SotuAddress> GlobalHoldout(IReadOnlyList<SotuAddress> yearOrdered, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(yearOrdered);
        if (!(fraction >= 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the held-out fraction must be in [0, 1)");
        }

        int strata = (int)Math.Round(fraction * yearOrdered.Count);
        if (strata == 0)
        {
            return [];
        }

        long total = yearOrdered.Sum(a => (long)a.Text.Length);
        var chosen = new SotuAddress?[strata];
        var chosenHash = new double[strata];
        long before = 0;
        foreach (var address in yearOrdered)
        {
            // Stratum of the address's midpoint in the cumulative character count.
            long middle = before + (address.Text.Length / 2);
            int stratum = (int)Math.Min(strata - 1, middle * strata / Math.Max(1, total));
            before += address.Text.Length;
            double hash = DocumentSplit.UnitHash(address.Id, seed);
            if (chosen[stratum] is null || hash < chosenHash[stratum])
            {
                chosen[stratum] = address;
                chosenHash[stratum] = hash;
            }
        }

        return chosen.OfType<SotuAddress>().ToArray();
    }

    /// <summary>
    /// Era split: node i gets the i-th of <paramref name="nodeCount"/> contiguous year ranges, balanced by characters
    /// (<see cref="ContiguousPartition"/>). Cuts fall only between different years, so no year is shared by two
    /// nodes (1953 and 1961 each have two addresses).
    /// </summary>
    public static IReadOnlyList<SotuShard> ByEra(IReadOnlyList<SotuAddress> yearOrdered, int nodeCount)
    {
        ArgumentNullException.ThrowIfNull(yearOrdered);
        var years = yearOrdered.GroupBy(a => a.Year).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        if (nodeCount > years.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeCount), nodeCount,
                $"an era split of {years.Length} years cannot give each of {nodeCount} nodes a year");
        }

        var weights = years.Select(y => y.Sum(a => (long)a.Text.Length)).ToArray();
        return ContiguousPartition.Split(years, ContiguousPartition.Starts(weights, nodeCount))
            .Select((run, node) => new SotuShard(node, nodeCount, SotuSplitMode.Era, run.SelectMany(y => y).ToArray()))
            .ToArray();
    }

    /// <summary>
    /// IID split: a seeded Fisher–Yates shuffle, then contiguous runs of the shuffled order balanced by characters.
    /// Each shard's addresses are returned in year order.
    /// </summary>
    public static IReadOnlyList<SotuShard> Iid(IReadOnlyList<SotuAddress> addresses, int nodeCount, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var shuffled = addresses.ToArray();
        new Random(FoldSeed(seed)).Shuffle(shuffled);
        var weights = shuffled.Select(a => (long)a.Text.Length).ToArray();
        return ContiguousPartition.Split(shuffled, ContiguousPartition.Starts(weights, nodeCount))
            .Select((run, node) => new SotuShard(node, nodeCount, SotuSplitMode.Iid,
                run.OrderBy(a => a.Year).ThenBy(a => a.President, StringComparer.Ordinal).ToArray()))
            .ToArray();
    }

    /// <summary>System.Random takes a 32-bit seed; folding keeps every bit of the 64-bit seed relevant.</summary>
    internal static int FoldSeed(ulong seed) => unchecked((int)(seed ^ (seed >> 32)));
}
