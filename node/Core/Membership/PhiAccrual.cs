namespace FedMesh.Node.Membership;

/// <summary>
/// The φ (phi) accrual failure detector's math (Hayashibara, Défago, Yared, Katayama: "The φ Accrual Failure
/// Detector", SRDS 2004). Inter-arrival times of heartbeats are modelled as normal N(μ, σ²); after a silence of
/// t since the last heartbeat, φ(t) = −log10(P_later(t)) with P_later(t) = 1 − F(t) = ½·erfc((t − μ) / (σ√2)).
/// φ = 1 means a 10 % chance that the peer is alive and merely late, φ = 8 means 10⁻⁸.
/// </summary>
public static class PhiAccrual
{
    private static readonly double Ln10 = Math.Log(10.0);

    /// <summary>
    /// φ after <paramref name="elapsed"/> since the last heartbeat, given the mean and standard deviation of past
    /// inter-arrival times (all in the same unit). Computed in log space so that very long silences give large
    /// finite values instead of +∞ from an underflowed probability.
    /// </summary>
    public static double Phi(double elapsed, double mean, double stdDev)
    {
        if (!(stdDev > 0) || double.IsNaN(elapsed) || double.IsNaN(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(stdDev), "standard deviation must be positive and inputs finite");
        }

        double x = (elapsed - mean) / (stdDev * Math.Sqrt(2.0));
        // P_later = ½·erfc(x)  ⇒  φ = −log10(½) − log10(erfc(x)).
        return -Math.Log10(0.5) - Log10Erfc(x);
    }

    /// <summary>
    /// log10(erfc(x)) via the Chebyshev fit of Numerical Recipes (Press et al., 3rd ed., §6.2, "erfcc"), whose
    /// fractional error is below 1.2·10⁻⁷ everywhere. erfc(x) = t·exp(poly(t) − x²) for x ≥ 0, so the log is
    /// taken analytically and never underflows; erfc(−x) = 2 − erfc(x) for negative x (bounded in (1, 2]).
    /// </summary>
    public static double Log10Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        double lnErfcAbs = Math.Log(t) + poly - z * z;
        if (x >= 0)
        {
            return lnErfcAbs / Ln10;
        }

        return Math.Log10(2.0 - Math.Exp(lnErfcAbs));
    }

    /// <summary>Mean and (population) standard deviation of <paramref name="samples"/>, floored at <paramref name="minStdDev"/>.</summary>
    public static (double Mean, double StdDev) MeanAndStdDev(ReadOnlySpan<double> samples, double minStdDev)
    {
        if (samples.IsEmpty)
        {
            throw new ArgumentException("at least one sample is needed", nameof(samples));
        }

        double mean = System.Numerics.Tensors.TensorPrimitives.Sum(samples) / samples.Length;
        double sumSq = 0;
        foreach (double s in samples)
        {
            sumSq += (s - mean) * (s - mean);
        }

        double stdDev = Math.Sqrt(sumSq / samples.Length);
        return (mean, Math.Max(stdDev, minStdDev));
    }
}
