using System.Numerics.Tensors;

namespace FedMesh.Node.Merge;

/// <summary>
/// Norm bounding of incoming deltas (Sun et al. 2019, "Can you really backdoor federated learning?"): a delta with
/// ‖x‖₂ &gt; B is scaled to norm B; smaller ones are untouched. Limits how far any single input can pull a mean.
/// </summary>
public static class NormBounding
{
    /// <summary>The factor min(1, B/‖x‖) that brings x within the bound (1 when B = 0, i.e. disabled).</summary>
    public static float ScaleFor(ReadOnlySpan<float> delta, double bound)
    {
        if (bound <= 0)
        {
            return 1f;
        }

        double norm = TensorPrimitives.Norm(delta);
        return norm > bound ? (float)(bound / norm) : 1f;
    }

    /// <summary>Scales <paramref name="delta"/> in place to L2 ≤ bound; returns the factor applied.</summary>
    public static float Apply(Span<float> delta, double bound)
    {
        float scale = ScaleFor(delta, bound);
        if (scale < 1f)
        {
            TensorPrimitives.Multiply(delta, scale, delta);
        }

        return scale;
    }
}
