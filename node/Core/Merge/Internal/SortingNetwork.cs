using System.Collections.Concurrent;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// Comparator lists of Batcher's odd–even merge sort (Batcher 1968; the iterative form in Knuth TAOCP vol. 3,
/// §5.3.4) for any k: the network for the next power of two n ≥ k, with every comparator touching a row ≥ k
/// dropped. That is exact when the missing rows are thought of as +∞: a comparator (a, b), a &lt; b, with b ≥ k would
/// leave the real value at a and +∞ at b, i.e. do nothing.
/// </summary>
internal static class SortingNetwork
{
    private static readonly ConcurrentDictionary<int, int[]> Cache = new();

    /// <summary>Flattened pairs (a₀, b₀, a₁, b₁, …) with aⱼ &lt; bⱼ; after applying all, rows are ascending.</summary>
    public static int[] Comparators(int k) => Cache.GetOrAdd(k, Build);

    private static int[] Build(int k)
    {
        var pairs = new List<int>();
        int n = 1;
        while (n < k)
        {
            n <<= 1;
        }

        for (int p = 1; p < n; p <<= 1)
        {
            for (int step = p; step >= 1; step >>= 1)
            {
                for (int j = step % p; j + step < n; j += 2 * step)
                {
                    for (int i = 0; i < Math.Min(step, n - j - step); i++)
                    {
                        int a = i + j;
                        int b = i + j + step;
                        if (a / (2 * p) == b / (2 * p) && b < k)
                        {
                            pairs.Add(a);
                            pairs.Add(b);
                        }
                    }
                }
            }
        }

        return pairs.ToArray();
    }
}
