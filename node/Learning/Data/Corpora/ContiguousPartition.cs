namespace FedMesh.Node.Data.Corpora;

/// <summary>
/// Splits a sequence of weights into contiguous, non-empty parts whose largest sum is as small as possible (the
/// "linear partition" problem; exact dynamic programme, O(parts · n²)). Used to give each node an era of the
/// corpus with about the same number of characters.
/// </summary>
public static class ContiguousPartition
{
    /// <summary>
    /// Start index of each part (the first is 0; part p is [starts[p], starts[p+1])). Ties between equally good
    /// cuts go to the earliest, so the result is deterministic.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer items than parts, fewer than one part, or a negative weight.</exception>
    public static int[] Starts(ReadOnlySpan<long> weights, int parts)
    {
        int n = weights.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        if (parts > n)
        {
            throw new ArgumentOutOfRangeException(nameof(parts), parts, $"cannot split {n} items into {parts} non-empty parts");
        }

        var prefix = new long[n + 1];
        for (int i = 0; i < n; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(weights[i]);
            prefix[i + 1] = prefix[i] + weights[i];
        }

        // best[p, i]: smallest possible largest sum when the first i items form p parts; cut[p, i]: start of the last part.
        var best = new long[parts + 1, n + 1];
        var cut = new int[parts + 1, n + 1];
        for (int i = 1; i <= n; i++)
        {
            best[1, i] = prefix[i];
        }

        for (int p = 2; p <= parts; p++)
        {
            for (int i = p; i <= n; i++)
            {
                long bestValue = long.MaxValue;
                int bestCut = p - 1;
                for (int j = p - 1; j < i; j++)
                {
                    long value = Math.Max(best[p - 1, j], prefix[i] - prefix[j]);
                    if (value < bestValue)
                    {
                        bestValue = value;
                        bestCut = j;
                    }
                }

                best[p, i] = bestValue;
                cut[p, i] = bestCut;
            }
        }

        var starts = new int[parts];
        int end = n;
        for (int p = parts; p >= 2; p--)
        {
            starts[p - 1] = cut[p, end];
            end = starts[p - 1];
        }

        return starts;
    }

    /// <summary>The parts of <paramref name="items"/> that begin at <paramref name="starts"/> (as from <see cref="Starts"/>).</summary>
    public static IEnumerable<T[]> Split<T>(T[] items, int[] starts)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(starts);
        for (int p = 0; p < starts.Length; p++)
        {
            yield return items[starts[p]..(p + 1 < starts.Length ? starts[p + 1] : items.Length)];
        }
    }
}
