using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>
    /// Coordinate-wise weighted median (Yin et al. 2018, "Byzantine-robust distributed learning: towards optimal
    /// statistical rates"): per coordinate, the value where the cumulative weight of the sorted inputs crosses half
    /// the total; with equal weights and even k, the average of the two middle values.
    /// </summary>
    public static unsafe void CoordinateMedian(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        int d = Length(deltas);
        float[] w = CheckedWeights(deltas.Count, weights, d, destination.Length);
        using var rows = new PinnedRows(deltas, d);
        fixed (float* z = destination)
        {
            OrderStatisticsKernel.Run(rows, d, w, new QuantileWeights(Median: true, Beta: 0f), (nint)z, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// Coordinate-wise weighted trimmed mean (Yin et al. 2018): per coordinate, the fraction <paramref name="beta"/>
    /// of the total weight is removed from each end of the sorted values and the rest is averaged. With equal
    /// weights and βk an integer t, exactly "drop the t smallest and t largest"; otherwise the boundary values count
    /// fractionally (see QuantileWeights).
    /// </summary>
    public static unsafe void TrimmedMean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, double beta, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        if (!(beta >= 0 && beta < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "trim fraction must be in [0, 0.5)");
        }

        int d = Length(deltas);
        float[] w = CheckedWeights(deltas.Count, weights, d, destination.Length);
        using var rows = new PinnedRows(deltas, d);
        fixed (float* z = destination)
        {
            OrderStatisticsKernel.Run(rows, d, w, new QuantileWeights(Median: false, Beta: (float)beta), (nint)z, maxDegreeOfParallelism);
        }
    }
}
