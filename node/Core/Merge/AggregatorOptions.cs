namespace FedMesh.Node.Merge;

/// <summary>
/// Configuration of <see cref="RobustAggregator"/>. Every default is explained next to it; the rule is picked by
/// name (<see cref="AggregationRuleNames"/>).
/// </summary>
public sealed record AggregatorOptions
{
    /// <summary>The defaults described on each property.</summary>
    public static readonly AggregatorOptions Default = new();

    /// <summary>
    /// Default: the geometric median (RFA). It needs no assumed attacker count f (unlike Krum and the trimmed mean),
    /// no reference point (unlike centered clipping, whose center here is only the node's own model until a
    /// momentum is passed in), has the maximal breakdown point 1/2, and in <c>fedmesh bench robustness</c> it has the
    /// lowest worst-case error of all rules (≤ 0.07 relative at k = 16, f = 3, every attack). Its cost is a few fused
    /// passes over the inputs (see <c>fedmesh bench merge</c>). Centered clipping is the better choice once the
    /// gossip loop passes a momentum center (ClippedGossip, He, Karimireddy, Jaggi 2022). See node/Merge/README.md.
    /// </summary>
    public AggregationRule Rule { get; init; } = AggregationRule.GeometricMedian;

    /// <summary>
    /// Trimmed mean: fraction of the total weight removed from each side. 0.2 tolerates up to 20 % Byzantine weight
    /// per side, i.e. 3 of 16 neighbours, which is the attacker fraction our robustness bench and netsim assume.
    /// </summary>
    public double TrimFraction { get; init; } = 0.2;

    /// <summary>Multi-Krum: assumed number of Byzantine inputs f. 2 keeps k ≥ 2f + 3 valid from k = 7 neighbours.</summary>
    public int KrumByzantine { get; init; } = 2;

    /// <summary>
    /// Multi-Krum: how many lowest-score inputs are averaged (m). 0 means k − f, the largest m Blanchard et al.
    /// allow, which keeps the variance closest to the plain mean.
    /// </summary>
    public int KrumSelect { get; init; }

    /// <summary>Geometric median: Weiszfeld iteration cap. Pillutla et al. (2019) report 3–4 iterations suffice; 8 is headroom.</summary>
    public int GeometricMaxIterations { get; init; } = 8;

    /// <summary>Geometric median: stop when the objective Σ wᵢ‖xᵢ − z‖ improves by less than this fraction.</summary>
    public double GeometricTolerance { get; init; } = 1e-5;

    /// <summary>
    /// Geometric median: smoothing ν, the floor on ‖xᵢ − z‖ in the Weiszfeld weights (RFA's ν). Prevents division by
    /// zero when z lands on an input; 1e-6 is far below the norm of any real delta.
    /// </summary>
    public double GeometricSmoothing { get; init; } = 1e-6;

    /// <summary>
    /// Centered clipping: radius τ. 0 (default) picks τ adaptively each call as the median distance of the inputs to
    /// the center, as ClippedGossip's practical rule does: with an honest majority the median distance is an honest
    /// distance, so honest inputs are barely clipped while far-away attackers are cut to τ.
    /// </summary>
    public double ClipRadius { get; init; }

    /// <summary>Centered clipping: iterations L. Karimireddy et al. (2021) use L = 1 with momentum; 3 helps without it.</summary>
    public int ClipIterations { get; init; } = 3;

    /// <summary>
    /// L2 bound applied to every incoming delta before aggregation (scaled down, never up). 0 disables. The default
    /// 0 leaves the bound to the privacy layer, which clips to its own sensitivity before noising.
    /// </summary>
    public double NormBound { get; init; }

    /// <summary>
    /// Compute each accepted delta's L2 distance to the aggregate for reputation. Costs one extra read of the
    /// inputs; on by default because reputation needs it.
    /// </summary>
    public bool ReportDistances { get; init; } = true;

    /// <summary>Cores used by the coordinate-blocked kernels. Default: all; set 1 to leave a core to the learner.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Checks ranges; the message names the bad setting.</summary>
    public void Validate()
    {
        if (!(TrimFraction >= 0 && TrimFraction < 0.5))
        {
            throw new ArgumentException($"merge.trim_fraction must be in [0, 0.5), got {TrimFraction}");
        }

        if (KrumByzantine < 0)
        {
            throw new ArgumentException($"merge.krum_byzantine must be ≥ 0, got {KrumByzantine}");
        }

        if (KrumSelect < 0)
        {
            throw new ArgumentException($"merge.krum_select must be ≥ 0 (0 = k − f), got {KrumSelect}");
        }

        if (GeometricMaxIterations < 1 || !(GeometricTolerance >= 0) || !(GeometricSmoothing > 0))
        {
            throw new ArgumentException("merge.geometric_*: iterations must be ≥ 1, tolerance ≥ 0, smoothing > 0");
        }

        if (!(ClipRadius >= 0) || double.IsInfinity(ClipRadius) || ClipIterations < 1)
        {
            throw new ArgumentException($"merge.clip_radius must be finite and ≥ 0 and merge.clip_iterations ≥ 1, got {ClipRadius}, {ClipIterations}");
        }

        if (!(NormBound >= 0) || double.IsInfinity(NormBound))
        {
            throw new ArgumentException($"merge.norm_bound must be finite and ≥ 0, got {NormBound}");
        }

        if (MaxDegreeOfParallelism < 1)
        {
            throw new ArgumentException($"merge.max_parallelism must be ≥ 1, got {MaxDegreeOfParallelism}");
        }
    }
}
