using System.Numerics.Tensors;
using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>
    /// Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer 2017, "Machine learning with adversaries: Byzantine
    /// tolerant gradient descent", §4): score(i) = Σ of the squared distances from xᵢ to its k − f − 2 nearest other
    /// inputs; the m inputs with the lowest scores (ties: lower index) are averaged with their weights.
    /// The paper needs k ≥ 2f + 3; for smaller k the neighbour count is clamped to [1, k − 1] (k = 1: the input
    /// itself), so the rule degrades to "closest to its nearest neighbour" instead of failing.
    /// </summary>
    /// <param name="deltas">The k inputs.</param>
    /// <param name="weights">Per-input weights, used only in the final average.</param>
    /// <param name="f">Assumed number of Byzantine inputs.</param>
    /// <param name="m">Inputs averaged; 0 means k − f (at least 1).</param>
    /// <param name="destination">The aggregate.</param>
    /// <param name="maxDegreeOfParallelism">Cores for the distance pass and the average.</param>
    public static unsafe RuleReport MultiKrum(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, int f, int m, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        int d = destination.Length;
        int k = deltas.Count;
        double[] pairwise = PairwiseSquaredDistances(rows, d, maxDegreeOfParallelism);
        double[] scores = KrumScores(pairwise, k, f);
        int select = Math.Clamp(m == 0 ? k - f : m, 1, k);
        int[] chosen = Enumerable.Range(0, k).OrderBy(i => scores[i]).ThenBy(i => i).Take(select).Order().ToArray();
        var selected = new bool[k];
        var coefficients = new float[k];
        double chosenWeight = chosen.Sum(i => (double)w[i]);
        foreach (int i in chosen)
        {
            selected[i] = true;
            coefficients[i] = (float)(w[i] / chosenWeight);
        }

        // Average only the chosen rows: m of k reads instead of k.
        var chosenRows = chosen.Select(i => deltas[i]).ToArray();
        using var chosenPinned = new PinnedRows(chosenRows, d);
        fixed (float* z = destination)
        {
            FusedKernel.Run(chosenPinned, d, chosen.Select(i => coefficients[i]).ToArray(), 0f, (nint)z, measure: false, maxDegreeOfParallelism);
        }

        return new RuleReport { Selected = selected, Scores = scores };
    }

    /// <summary>Krum scores from the k×k squared-distance matrix (row-major, symmetric).</summary>
    public static double[] KrumScores(ReadOnlySpan<double> pairwise, int k, int f)
    {
        int neighbours = Math.Clamp(k - f - 2, 1, Math.Max(1, k - 1));
        var scores = new double[k];
        var row = new double[Math.Max(0, k - 1)];
        for (int i = 0; i < k && k > 1; i++)
        {
            int n = 0;
            for (int j = 0; j < k; j++)
            {
                if (j != i)
                {
                    row[n++] = pairwise[(i * k) + j];
                }
            }

            Array.Sort(row);
            double s = 0;
            for (int j = 0; j < neighbours; j++)
            {
                s += row[j];
            }

            scores[i] = s;
        }

        return scores;
    }

    /// <summary>All k(k−1)/2 squared distances in one cache-blocked pass (each block's k slices are reused k times).</summary>
    private static unsafe double[] PairwiseSquaredDistances(PinnedRows rows, int d, int maxDop)
    {
        int k = rows.Count;
        nint[] x = rows.Addresses;
        double[] m = CoordinateBlocks.Sum(d, CoordinateBlocks.BlockLength(k), maxDop, k * k, (start, len, acc) =>
        {
            for (int i = 0; i < k; i++)
            {
                var xi = new ReadOnlySpan<float>((float*)x[i] + start, len);
                for (int j = i + 1; j < k; j++)
                {
                    double dist = TensorPrimitives.Distance(xi, new ReadOnlySpan<float>((float*)x[j] + start, len));
                    acc[(i * k) + j] += dist * dist;
                }
            }
        });
        for (int i = 0; i < k; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                m[(j * k) + i] = m[(i * k) + j];
            }
        }

        return m;
    }
}
