namespace FedMesh.Node.Privacy;

/// <summary>(ε, δ) obtained from an RDP curve, and the order α that achieved it.</summary>
public readonly record struct EpsilonAtOrder(double Epsilon, int Order);

/// <summary>
/// Rényi-DP accounting of the Poisson-subsampled Gaussian mechanism as pure functions.
/// <list type="bullet">
/// <item>Gaussian mechanism, sensitivity 1, noise σ: RDP(α) = α / (2σ²) (Mironov 2017, Prop. 7).</item>
/// <item>Poisson-subsampled at rate q, integer α ≥ 2 (Mironov, Talwar, Zhang 2019, §3.3):
/// RDP(α) = 1/(α−1) · log Σ_{k=0..α} C(α,k) (1−q)^{α−k} q^k exp((k²−k)/(2σ²)). Each term is formed in log
/// space (log-binomials from a log-factorial table, log1p(−q)) and summed with log-sum-exp, so α = 256 with
/// σ = 0.5 (exponents ≈ 10⁵) neither overflows nor loses the small terms.</item>
/// <item>Composition: RDP adds up over releases at each order (Mironov 2017, Prop. 1).</item>
/// <item>Conversion to (ε, δ): classic ε = RDP(α) + log(1/δ)/(α−1) (Mironov 2017, Prop. 3), and the tighter
/// ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1) (Balle et al. 2020, Thm 21; as in Opacus), each minimised
/// over the orders.</item>
/// </list>
/// </summary>
public static class RdpAccountant
{
    /// <summary>Smallest integer order of the subsampled bound (α = 1 is KL, not covered by the formula).</summary>
    public const int MinOrder = 2;

    /// <summary>Largest order supported; 256 is what TF-Privacy and Opacus use as their top integer order.</summary>
    public const int MaxOrder = 256;

    /// <summary>The default order grid 2..256: the reference table's, and enough that the optimum is interior
    /// for every ε from ~0.1 to ~100 at δ ≥ 1e-10.</summary>
    public static readonly IReadOnlyList<int> DefaultOrders = Enumerable.Range(MinOrder, MaxOrder - MinOrder + 1).ToArray();

    /// <summary>log(n!) for n ≤ MaxOrder, summed from logs (exact to ~1e-15 relative; no Lanczos needed).</summary>
    private static readonly double[] LogFactorials = BuildLogFactorials(MaxOrder);

    /// <summary>log C(n, k) for 0 ≤ k ≤ n ≤ MaxOrder.</summary>
    public static double LogBinomial(int n, int k)
    {
        if (k < 0 || k > n || n > MaxOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"log-binomial needs 0 <= k <= n <= {MaxOrder}, got n={n}, k={k}");
        }

        return LogFactorials[n] - LogFactorials[k] - LogFactorials[n - k];
    }

    /// <summary>log(Σ exp(xᵢ)) without overflow: the maximum is factored out.</summary>
    public static double LogSumExp(ReadOnlySpan<double> terms)
    {
        double max = double.NegativeInfinity;
        foreach (double t in terms)
        {
            max = Math.Max(max, t);
        }

        if (double.IsNegativeInfinity(max) || double.IsPositiveInfinity(max))
        {
            return max;
        }

        double sum = 0;
        foreach (double t in terms)
        {
            sum += Math.Exp(t - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary>log(1 + x), accurate for small |x| (Goldberg 1991, "What every computer scientist…", Thm 4).</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>RDP at integer order <paramref name="order"/> of one step of the Poisson-subsampled Gaussian mechanism.</summary>
    public static double SubsampledGaussianRdp(double samplingRate, double noiseMultiplier, int order)
    {
        if (order < MinOrder || order > MaxOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, $"order must be an integer in {MinOrder}..{MaxOrder}");
        }

        if (!(noiseMultiplier > 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "noise multiplier must be finite and > 0");
        }

        if (!(samplingRate >= 0 && samplingRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "sampling rate must be in [0, 1]");
        }

        if (samplingRate == 0)
        {
            return 0;
        }

        double twoSigmaSquared = 2 * noiseMultiplier * noiseMultiplier;
        if (samplingRate == 1)
        {
            return order / twoSigmaSquared;
        }

        double logQ = Math.Log(samplingRate);
        double logOneMinusQ = Log1P(-samplingRate);
        Span<double> terms = stackalloc double[order + 1];
        for (int k = 0; k <= order; k++)
        {
            terms[k] = LogBinomial(order, k) + ((order - k) * logOneMinusQ) + (k * logQ) + (((double)k * k - k) / twoSigmaSquared);
        }

        // The sum is ≥ 1 mathematically (it is E[(p/q)^α] ≥ 1); clamp rounding below zero.
        return Math.Max(0, LogSumExp(terms) / (order - 1));
    }

    /// <summary>Adds <paramref name="steps"/> compositions of the mechanism to <paramref name="rdp"/> (one entry per order).</summary>
    public static void Accumulate(Span<double> rdp, IReadOnlyList<int> orders, double samplingRate, double noiseMultiplier, long steps)
    {
        ArgumentNullException.ThrowIfNull(orders);
        if (rdp.Length != orders.Count)
        {
            throw new ArgumentException($"rdp has {rdp.Length} entries for {orders.Count} orders", nameof(rdp));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        for (int i = 0; i < rdp.Length; i++)
        {
            rdp[i] += steps * SubsampledGaussianRdp(samplingRate, noiseMultiplier, orders[i]);
        }
    }

    /// <summary>The composed RDP curve of <paramref name="steps"/> identical steps over <paramref name="orders"/>.</summary>
    public static double[] ComposedRdp(IReadOnlyList<int> orders, double samplingRate, double noiseMultiplier, long steps)
    {
        ArgumentNullException.ThrowIfNull(orders);
        var rdp = new double[orders.Count];
        Accumulate(rdp, orders, samplingRate, noiseMultiplier, steps);
        return rdp;
    }

    /// <summary>Classic conversion (Mironov 2017, Prop. 3): min over α of RDP(α) + log(1/δ)/(α−1).</summary>
    public static EpsilonAtOrder EpsilonClassic(ReadOnlySpan<double> rdp, IReadOnlyList<int> orders, double delta) =>
        Minimise(rdp, orders, delta, static (r, a, logDelta) => r - (logDelta / (a - 1)));

    /// <summary>
    /// Improved conversion (Balle et al. 2020, "Hypothesis testing interpretations and Rényi DP", Thm 21):
    /// min over α of RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1). Never larger than the classic one for α ≥ 2.
    /// </summary>
    public static EpsilonAtOrder EpsilonImproved(ReadOnlySpan<double> rdp, IReadOnlyList<int> orders, double delta) =>
        Minimise(rdp, orders, delta, static (r, a, logDelta) => r + Math.Log((a - 1) / a) - ((logDelta + Math.Log(a)) / (a - 1)));

    private static EpsilonAtOrder Minimise(ReadOnlySpan<double> rdp, IReadOnlyList<int> orders, double delta, Func<double, double, double, double> epsilonAt)
    {
        ArgumentNullException.ThrowIfNull(orders);
        if (rdp.Length != orders.Count || orders.Count == 0)
        {
            throw new ArgumentException($"rdp has {rdp.Length} entries for {orders.Count} orders", nameof(rdp));
        }

        if (!(delta > 0 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be in (0, 1)");
        }

        double logDelta = Math.Log(delta);
        double best = double.PositiveInfinity;
        int bestOrder = orders[0];
        for (int i = 0; i < rdp.Length; i++)
        {
            double eps = epsilonAt(rdp[i], orders[i], logDelta);
            if (eps < best)
            {
                best = eps;
                bestOrder = orders[i];
            }
        }

        // ε < 0 is meaningless (nothing released yet, or a vanishing mechanism): report 0.
        return new EpsilonAtOrder(Math.Max(0, best), bestOrder);
    }

    private static double[] BuildLogFactorials(int max)
    {
        var table = new double[max + 1];
        for (int n = 2; n <= max; n++)
        {
            table[n] = table[n - 1] + Math.Log(n);
        }

        return table;
    }
}
