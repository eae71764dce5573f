using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>
    /// Centered clipping (Karimireddy, He, Jaggi 2021, "Learning from history for Byzantine robust optimization",
    /// eq. (CC)): starting from the node's own reference v (its current model expressed as a delta, i.e. zero, or its
    /// momentum), repeat L times v ← v + Σ ŵᵢ (xᵢ − v)·min(1, τ/‖xᵢ − v‖) with ŵ the normalised weights.
    /// τ = <paramref name="radius"/>, or when it is 0 the median of the inputs' distances to the initial v
    /// (ClippedGossip's adaptive choice, He, Karimireddy, Jaggi 2022). One fused pass per iteration, plus one to
    /// measure the initial distances.
    /// </summary>
    /// <param name="deltas">The k inputs.</param>
    /// <param name="weights">Per-input weights.</param>
    /// <param name="center">Initial v; empty means the zero vector (the node's own model, since deltas are relative to it).</param>
    /// <param name="radius">τ; 0 = adaptive.</param>
    /// <param name="iterations">L ≥ 1.</param>
    /// <param name="destination">Receives the final v.</param>
    /// <param name="maxDegreeOfParallelism">Cores.</param>
    /// <param name="fallbackRadius">τ when the adaptive radius is 0 although some input lies away from v: the median
    /// of the distances is 0 when half or more of the inputs sit at v, as in the daemon's merge of a node that heard
    /// from one neighbour (its own state, at distance 0, and the neighbour's), which would otherwise never mix. The
    /// daemon passes its own last change, so a lone neighbour pulls it at most half that far per round. 0 = none.
    /// The own state's 0 is kept in the median on purpose: without it the radius is set by the pushed states alone,
    /// and at byzantine-30's scaling attack (seed 5, neighbours mode) an honest node was captured (distance 44.3).</param>
    public static unsafe RuleReport CenteredClipping(
        IReadOnlyList<ReadOnlyMemory<float>> deltas,
        ReadOnlySpan<float> weights,
        ReadOnlySpan<float> center,
        double radius,
        int iterations,
        Span<float> destination,
        int maxDegreeOfParallelism = 1,
        double fallbackRadius = 0)
    {
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] checkedWeights);
        float[] w = Normalized(checkedWeights);
        int d = destination.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        if (!(radius >= 0) || double.IsInfinity(radius))
        {
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "clip radius must be finite and ≥ 0");
        }

        if (center.IsEmpty)
        {
            destination.Clear();
        }
        else if (center.Length != d)
        {
            throw new ArgumentException($"center has {center.Length} floats, deltas have {d}", nameof(center));
        }
        else
        {
            center.CopyTo(destination);
        }

        fixed (float* vp = destination)
        {
            var v = (nint)vp;
            double[] dist2 = FusedKernel.Run(rows, d, [], 1f, v, measure: true, maxDegreeOfParallelism);
            double tau = radius > 0 ? radius : MedianDistance(dist2);
            if (tau == 0 && fallbackRadius > 0 && double.IsFinite(fallbackRadius) && dist2.Any(x => x > 0))
            {
                tau = fallbackRadius;
            }

            double[] factors = [];
            for (int l = 0; l < iterations; l++)
            {
                factors = ClipFactors(dist2, tau);
                (float[] coefficients, float bias) = ClippingStep(w, factors);
                dist2 = FusedKernel.Run(rows, d, coefficients, bias, v, measure: true, maxDegreeOfParallelism);
            }

            return new RuleReport { ClipFactors = factors, ClipRadius = tau, Iterations = iterations, Distances = dist2.Select(Math.Sqrt).ToArray() };
        }
    }

    /// <summary>min(1, τ/‖xᵢ − v‖); inputs at distance 0 are not clipped.</summary>
    public static double[] ClipFactors(ReadOnlySpan<double> squaredDistances, double tau)
    {
        var c = new double[squaredDistances.Length];
        for (int i = 0; i < c.Length; i++)
        {
            double dist = Math.Sqrt(squaredDistances[i]);
            c[i] = dist > tau ? tau / dist : 1.0;
        }

        return c;
    }

    /// <summary>
    /// Rewrites v + Σ ŵᵢcᵢ(xᵢ − v) as bias·v + Σ aᵢxᵢ with aᵢ = ŵᵢcᵢ and bias = 1 − Σ aᵢ (the fused kernel's form).
    /// </summary>
    public static (float[] Coefficients, float Bias) ClippingStep(ReadOnlySpan<float> normalizedWeights, ReadOnlySpan<double> clipFactors)
    {
        var a = new float[normalizedWeights.Length];
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double ai = normalizedWeights[i] * clipFactors[i];
            a[i] = (float)ai;
            sum += ai;
        }

        return (a, (float)(1.0 - sum));
    }

    /// <summary>Median of the distances (square roots of the given squared distances); lower-middle for even k.</summary>
    public static double MedianDistance(ReadOnlySpan<double> squaredDistances)
    {
        double[] s = squaredDistances.ToArray();
        Array.Sort(s);
        return Math.Sqrt(s[(s.Length - 1) / 2]);
    }
}
