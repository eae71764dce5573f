using System.Runtime.CompilerServices;
using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>
    /// Coordinate-wise weighted median (Yin et al. 2018, "Byzantine-robust distributed learning: towards optimal
    /// statistical rates"): per coordinate, the value where the cumulative weight of the sorted inputs crosses half
    /// the total; with equal weights and even k, the average of the two middle values.
    /// </summary>
    public static void CoordinateMedian(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        Run(deltas, weights, new QuantileWeights(Median: true, Beta: 0f), destination, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Coordinate-wise weighted trimmed mean (Yin et al. 2018): per coordinate, the fraction <paramref name="beta"/>
    /// of the total weight is removed from each end of the sorted values and the rest is averaged. With equal
    /// weights and βk an integer t, exactly "drop the t smallest and t largest"; otherwise the boundary values count
    /// fractionally (see QuantileWeights).
    /// </summary>
    public static void TrimmedMean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, double beta, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        if (!(beta >= 0 && beta < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "trim fraction must be in [0, 0.5)");
        }

        Run(deltas, weights, new QuantileWeights(Median: false, Beta: (float)beta), destination, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Inputs of at most this many floats in all (k · d) are copied onto the stack instead of pinned: 16 KiB, e.g. 128
    /// rows of 32 floats or 16 of 256. Pinning takes a GC handle per row and releases it again, which cost more than the
    /// sort for the few short rows the merge's copy evidence takes medians of (netsim scale-1000, d = 32: a median per
    /// merge for the history cosines and one for the near-copy scale). The kernel reads the same values either way.
    /// </summary>
    private const int StackCopyFloats = 4096;

    [SkipLocalsInit] // the stack copy is fully written before the kernel reads it
    private static unsafe void Run(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, QuantileWeights rule, Span<float> destination, int maxDegreeOfParallelism)
    {
        int d = Length(deltas);
        if ((long)deltas.Count * d <= StackCopyFloats)
        {
            float[] checkedWeights = CheckedWeights(deltas.Count, weights, d, destination.Length);
            float* copy = stackalloc float[deltas.Count * d];
            var x = new nint[deltas.Count];
            for (int i = 0; i < x.Length; i++)
            {
                if (deltas[i].Length != d)
                {
                    throw new ArgumentException($"delta {i} has {deltas[i].Length} values, expected {d}", "rows");
                }

                x[i] = (nint)(copy + (i * d));
                deltas[i].Span.CopyTo(new Span<float>(copy + (i * d), d));
            }

            fixed (float* z = destination)
            {
                OrderStatisticsKernel.Run(x, d, checkedWeights, rule, (nint)z, maxDegreeOfParallelism);
            }

            return;
        }

        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        fixed (float* z = destination)
        {
            OrderStatisticsKernel.Run(rows, destination.Length, w, rule, (nint)z, maxDegreeOfParallelism);
        }
    }
}
