using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>destination = Σ wᵢxᵢ / Σ wᵢ, one cache-blocked pass over the inputs.</summary>
    public static unsafe void WeightedMean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        fixed (float* z = destination)
        {
            FusedKernel.Run(rows, destination.Length, Normalized(w), 0f, (nint)z, measure: false, maxDegreeOfParallelism);
        }
    }
}
