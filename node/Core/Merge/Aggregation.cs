using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

/// <summary>
/// The aggregation rules as pure static functions over k deltas of d floats (one flat array per delta in the
/// adapter schema's order) with per-delta weights. They assume validated input (finite values, equal lengths,
/// positive finite weights — see <see cref="DeltaValidator"/>) and throw <see cref="ArgumentException"/> on shape
/// errors. <c>maxDegreeOfParallelism</c> spreads coordinate blocks over cores. Split by rule into partial files.
/// </summary>
public static partial class Aggregation
{
    private static float[] CheckedWeights(int k, ReadOnlySpan<float> weights, int d, int destinationLength)
    {
        if (k == 0)
        {
            throw new ArgumentException("aggregation needs at least one delta");
        }

        if (weights.Length != k)
        {
            throw new ArgumentException($"{weights.Length} weights for {k} deltas", nameof(weights));
        }

        if (destinationLength != d)
        {
            throw new ArgumentException($"destination has {destinationLength} floats, deltas have {d}", "destination");
        }

        float[] w = weights.ToArray();
        foreach (float x in w)
        {
            if (!(x > 0f) || !float.IsFinite(x))
            {
                throw new ArgumentException($"weights must be positive and finite, got {x}", nameof(weights));
            }
        }

        return w;
    }

    /// <summary>Checks shapes and weights and pins the inputs: the common prologue of every rule.</summary>
    private static PinnedRows Prepare(IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> weights, int destinationLength, out float[] checkedWeights)
    {
        int d = Length(deltas);
        checkedWeights = CheckedWeights(deltas.Count, weights, d, destinationLength);
        return new PinnedRows(deltas, d);
    }

    private static float[] Normalized(float[] weights)
    {
        double total = 0;
        foreach (float w in weights)
        {
            total += w;
        }

        return weights.Select(w => (float)(w / total)).ToArray();
    }

    private static int Length(IReadOnlyList<ReadOnlyMemory<float>> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        return deltas.Count == 0 ? 0 : deltas[0].Length;
    }

    /// <summary>Squared L2 distance of every delta to <paramref name="point"/>, one blocked pass.</summary>
    public static unsafe double[] SquaredDistances(IReadOnlyList<ReadOnlyMemory<float>> deltas, ReadOnlySpan<float> point, int maxDegreeOfParallelism = 1)
    {
        int d = point.Length;
        using var rows = new PinnedRows(deltas, d);
        fixed (float* p = point)
        {
            return FusedKernel.Run(rows, d, [], 1f, (nint)p, measure: true, maxDegreeOfParallelism);
        }
    }
}
