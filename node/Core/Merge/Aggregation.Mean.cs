using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>destination = Σ wᵢxᵢ / Σ wᵢ, one cache-blocked pass over the inputs.</summary>
    public static void WeightedMean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1) =>
        Mean(deltas, weights, destination, maxDegreeOfParallelism, measure: false);

    /// <summary>
    /// <see cref="WeightedMean"/> that also returns every input's squared distance to the mean, measured in the same
    /// pass while each block is in cache (no second read of the inputs).
    /// </summary>
    public static double[] WeightedMeanWithDistances(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1) =>
        Mean(deltas, weights, destination, maxDegreeOfParallelism, measure: true);

    private static unsafe double[] Mean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism, bool measure)
    {
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        fixed (float* z = destination)
        {
            return FusedKernel.Run(rows, destination.Length, Normalized(w), 0f, (nint)z, measure, maxDegreeOfParallelism);
        }
    }
}
