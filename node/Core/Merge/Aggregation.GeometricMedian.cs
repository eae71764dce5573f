using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Merge;

public static partial class Aggregation
{
    /// <summary>
    /// Smoothed weighted geometric median, argmin_z Σ wᵢ·max(ν, ‖xᵢ − z‖), by Weiszfeld iterations as in RFA
    /// (Pillutla, Kakade, Harchaoui 2019, "Robust aggregation for federated learning", Algorithm 2): start at the
    /// weighted mean, then z ← Σ βᵢxᵢ / Σ βᵢ with βᵢ = wᵢ / max(ν, ‖xᵢ − z‖). Each iteration is one fused pass that
    /// builds the new z block by block and measures the distances to it while the block is in cache. Stops after
    /// <paramref name="maxIterations"/> or when the objective improves by less than <paramref name="tolerance"/>
    /// relative.
    /// </summary>
    public static unsafe RuleReport GeometricMedian(
        IReadOnlyList<ReadOnlyMemory<float>> deltas,
        ReadOnlySpan<float> weights,
        Span<float> destination,
        int maxIterations = 8,
        double tolerance = 1e-5,
        double smoothing = 1e-6,
        int maxDegreeOfParallelism = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        using PinnedRows rows = Prepare(deltas, weights, destination.Length, out float[] w);
        int d = destination.Length;
        fixed (float* zp = destination)
        {
            var z = (nint)zp;
            double[] dist2 = FusedKernel.Run(rows, d, Normalized(w), 0f, z, measure: true, maxDegreeOfParallelism);
            double objective = WeiszfeldObjective(w, dist2, smoothing);
            int iterations = 0;
            while (iterations < maxIterations)
            {
                float[] beta = WeiszfeldCoefficients(w, dist2, smoothing);
                dist2 = FusedKernel.Run(rows, d, beta, 0f, z, measure: true, maxDegreeOfParallelism);
                iterations++;
                double next = WeiszfeldObjective(w, dist2, smoothing);
                bool converged = objective - next <= tolerance * next;
                objective = next;
                if (converged)
                {
                    break;
                }
            }

            return new RuleReport { Iterations = iterations, Distances = dist2.Select(Math.Sqrt).ToArray() };
        }
    }

    /// <summary>Normalised Weiszfeld coefficients βᵢ/Σβ with βᵢ = wᵢ / max(ν, distᵢ).</summary>
    public static float[] WeiszfeldCoefficients(ReadOnlySpan<float> weights, ReadOnlySpan<double> squaredDistances, double smoothing)
    {
        var beta = new double[weights.Length];
        double total = 0;
        for (int i = 0; i < beta.Length; i++)
        {
            beta[i] = weights[i] / Math.Max(smoothing, Math.Sqrt(squaredDistances[i]));
            total += beta[i];
        }

        return beta.Select(b => (float)(b / total)).ToArray();
    }

    /// <summary>The smoothed objective Σ wᵢ·max(ν, distᵢ).</summary>
    public static double WeiszfeldObjective(ReadOnlySpan<float> weights, ReadOnlySpan<double> squaredDistances, double smoothing)
    {
        double s = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            s += weights[i] * Math.Max(smoothing, Math.Sqrt(squaredDistances[i]));
        }

        return s;
    }
}
