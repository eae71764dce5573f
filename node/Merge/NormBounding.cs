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
    /// Pulls <paramref name="state"/> towards <paramref name="center"/> so that ‖state − center‖₂ ≤ bound (the
    /// state-merging form of norm bounding: a peer's *state* may be far from the origin for honest reasons, but its
    /// distance from this node's own state is what one input can pull an average by). Returns the factor applied to
    /// the difference: 1 when it was within the bound or the bound is 0 (disabled).
    /// </summary>
    public static float BoundDistance(ReadOnlySpan<float> center, Span<float> state, double bound)
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
        if (!(distance > bound))
        {
            return 1f;
        }

        // state ← center + s·(state − center), computed in place as s·state + (1 − s)·center.
        float scale = (float)(bound / distance);
        TensorPrimitives.Multiply(state, scale, state);
        TensorPrimitives.MultiplyAdd(center, 1f - scale, state, state);
        return scale;
    }
}
