namespace FedMesh.Node.Privacy;

/// <summary>A planned record-level DP-SGD run: n records, expected batch B, S steps per round, R rounds.</summary>
/// <param name="Epsilon">Budget ε for the whole run.</param>
/// <param name="Delta">δ of the guarantee; 0 = min(1e-5, 1/n) (<see cref="PrivacyPlanner.DefaultDelta"/>).</param>
public sealed record PrivacyPlanRequest(double Epsilon, double Delta, int Records, int Batch, int StepsPerRound, long Rounds)
{
    /// <summary>Null when valid, else what is wrong (named as the CLI flag).</summary>
    public string? Problem() =>
        !(Epsilon > 0) || !double.IsFinite(Epsilon) ? $"--epsilon must be a finite number > 0, got {Epsilon}"
        : !(Delta >= 0 && Delta < 1) ? $"--delta must be in [0, 1) (0 = min(1e-5, 1/n)), got {Delta}"
        : Records < 1 ? $"--records must be >= 1, got {Records}"
        : Batch < 1 ? $"--batch must be >= 1, got {Batch}"
        : StepsPerRound < 1 ? $"--steps must be >= 1, got {StepsPerRound}"
        : Rounds is < 1 or > PrivacyPlanner.MaxRounds ? $"--rounds must be 1..{PrivacyPlanner.MaxRounds}, got {Rounds}"
        : null;
}

/// <summary>The planner's answer: σ, the sampling rate, and ε after each planned round (at δ).</summary>
public sealed record PrivacyPlan(double NoiseMultiplier, double SamplingRate, double Delta, long TotalSteps, double Epsilon, IReadOnlyList<double> EpsilonAfterRound);

/// <summary>
/// Chooses the noise multiplier of record-level DP-SGD from the budget: the smallest σ on a 0.001 grid such that
/// R·S steps of the Poisson-subsampled Gaussian mechanism at q = B/n cost at most ε at δ with the
/// <see cref="RdpAccountant"/> the ledger enforces (improved conversion). ε falls monotonically with σ (the RDP of
/// every order does, Mironov et al. 2019 §3), so a binary search on the grid finds it: the answer σ satisfies
/// ε(σ) ≤ target and ε(σ − 0.001) > target. Pure; used by <c>fedmesh privacy plan</c>, <c>init</c> and the node
/// when <c>privacy.noise_multiplier = 0</c>.
/// </summary>
public static class PrivacyPlanner
{
    /// <summary>Resolution of σ: three decimals, what the configuration file shows.</summary>
    public const double Step = 0.001;

    /// <summary>Smallest σ the ledger accepts (<see cref="PrivacyOptions.Validate"/>): below it the RDP bound is vacuous.</summary>
    public const double MinNoiseMultiplier = 0.3;

    /// <summary>Largest σ searched: at σ = 1000 even a million full-batch steps cost ε ≈ 1; a budget that needs
    /// more is not a useful plan.</summary>
    public const double MaxNoiseMultiplier = 1000;

    /// <summary>Longest planned run: 10⁵ rounds (≈ 35 days of 30 s rounds); ε after every round is listed, so it is bounded.</summary>
    public const long MaxRounds = 100_000;

    /// <summary>Largest δ used by default, and the rule δ ≤ 1/n (Dwork and Roth 2014, §2.3: δ above 1/n permits
    /// publishing a record outright).</summary>
    public static double DefaultDelta(int records) => Math.Min(1e-5, 1.0 / Math.Max(1, records));

    public static PrivacyPlan Plan(PrivacyPlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        double delta = request.Delta > 0 ? request.Delta : DefaultDelta(request.Records);
        double q = Math.Min(1.0, (double)request.Batch / request.Records);
        long steps = request.StepsPerRound * request.Rounds;
        long lo = (long)Math.Round(MinNoiseMultiplier / Step), hi = (long)Math.Round(MaxNoiseMultiplier / Step);
        if (EpsilonAt(q, lo * Step, steps, delta) <= request.Epsilon)
        {
            hi = lo; // the floor already fits: σ is never planned below it
        }
        else if (EpsilonAt(q, hi * Step, steps, delta) > request.Epsilon)
        {
            throw new ArgumentException(
                $"no σ up to {MaxNoiseMultiplier} keeps {steps} steps at q = {q:G4} within ε = {request.Epsilon} at δ = {delta:G3}; raise ε, the records or lower the rounds");
        }
        else
        {
            // Invariant: ε(lo) > target ≥ ε(hi).
            while (hi - lo > 1)
            {
                long mid = lo + ((hi - lo) / 2);
                if (EpsilonAt(q, mid * Step, steps, delta) <= request.Epsilon)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }
        }

        double sigma = Math.Round(hi * Step, 3);
        double[] perStep = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, q, sigma, 1);
        var after = new double[request.Rounds];
        var rdp = new double[perStep.Length];
        for (long r = 0; r < request.Rounds; r++)
        {
            for (int i = 0; i < rdp.Length; i++)
            {
                rdp[i] = perStep[i] * request.StepsPerRound * (r + 1);
            }

            after[r] = RdpAccountant.EpsilonImproved(rdp, RdpAccountant.DefaultOrders, delta).Epsilon;
        }

        return new PrivacyPlan(sigma, q, delta, steps, after[^1], after);
    }

    /// <summary>ε (improved conversion, as the ledger enforces) of <paramref name="steps"/> steps at (q, σ).</summary>
    public static double EpsilonAt(double samplingRate, double noiseMultiplier, long steps, double delta) =>
        RdpAccountant.EpsilonImproved(
            RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, samplingRate, noiseMultiplier, steps), RdpAccountant.DefaultOrders, delta).Epsilon;

    /// <summary>How many whole rounds of <paramref name="stepsPerRound"/> steps at (q, σ) fit in ε at δ (capped at
    /// <paramref name="cap"/>): what the node reports at start so an operator sees how long the budget lasts.</summary>
    public static long RoundsWithin(double epsilon, double delta, double samplingRate, double noiseMultiplier, int stepsPerRound, long cap)
    {
        double[] perStep = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, samplingRate, noiseMultiplier, stepsPerRound);
        var rdp = new double[perStep.Length];
        long lo = 0, hi = cap + 1; // ε(lo rounds) ≤ budget; find the largest such lo below hi
        while (hi - lo > 1)
        {
            long mid = lo + ((hi - lo) / 2);
            for (int i = 0; i < rdp.Length; i++)
            {
                rdp[i] = perStep[i] * mid;
            }

            if (RdpAccountant.EpsilonImproved(rdp, RdpAccountant.DefaultOrders, delta).Epsilon <= epsilon)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
