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

    /// <summary>
    /// The factor min(1, B/‖state − center‖) that brings <paramref name="state"/> within distance B of
    /// <paramref name="center"/> (1 when B = 0, i.e. disabled): the state-merging form of norm bounding. A peer's
    /// *state* may be far from the origin for honest reasons, but its distance from this node's own state is what one
    /// input can pull an average by.
    /// </summary>
    public static float DistanceScaleFor(ReadOnlySpan<float> center, ReadOnlySpan<float> state, double bound)
    {
        if (center.Length != state.Length)
        {
            throw new ArgumentException($"state has {state.Length} values, the center {center.Length}", nameof(state));
        }

        if (bound <= 0)
        {
            return 1f;
        }

        double distance = TensorPrimitives.Distance(center, state);
        return distance > bound ? (float)(bound / distance) : 1f;
    }

    /// <summary>state ← center + scale·(state − center), in place (computed as scale·state + (1 − scale)·center).</summary>
    public static void PullTowards(ReadOnlySpan<float> center, Span<float> state, float scale)
    {
        TensorPrimitives.Multiply(state, scale, state);
        TensorPrimitives.MultiplyAdd(center, 1f - scale, state, state);
    }

    /// <summary>Pulls <paramref name="state"/> in place to distance ≤ bound of <paramref name="center"/>; returns the
    /// factor applied to the difference (1 when it was within the bound or the bound is 0).</summary>
    public static float BoundDistance(ReadOnlySpan<float> center, Span<float> state, double bound)
    {
        float scale = DistanceScaleFor(center, state, bound);
        if (scale < 1f)
        {
            PullTowards(center, state, scale);
        }

        return scale;
    }
}
