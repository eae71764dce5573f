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

    private static unsafe void Run(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, QuantileWeights rule, Span<float> destination, int maxDegreeOfParallelism)
    {
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        fixed (float* z = destination)
        {
            OrderStatisticsKernel.Run(rows, destination.Length, w, rule, (nint)z, maxDegreeOfParallelism);
        }
    }
}
