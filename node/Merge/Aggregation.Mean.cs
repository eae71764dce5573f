using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>destination = Σ wᵢxᵢ / Σ wᵢ, one cache-blocked pass over the inputs.</summary>
    public static unsafe void WeightedMean(
        IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, Span<float> destination, int maxDegreeOfParallelism = 1)
    {
        int d = Length(deltas);
        float[] w = Normalized(CheckedWeights(deltas.Count, weights, d, destination.Length));
        using var rows = new PinnedRows(deltas, d);
        fixed (float* z = destination)
        {
            FusedKernel.Run(rows, d, w, 0f, (nint)z, measure: false, maxDegreeOfParallelism);
        }
    }
}
