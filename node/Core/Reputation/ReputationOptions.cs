namespace FedMesh.Node.Reputation;

/// <summary>
/// Per-peer trust settings. Trust is an exponentially weighted average of per-observation scores in [0, 1]
/// (1 = behaved like an honest peer, 0 = clearly harmful); merge weight is a function of trust.
/// </summary>
public sealed record ReputationOptions
{
    /// <summary>Defaults; each value's reason is on its property.</summary>
    public static readonly ReputationOptions Default = new();

    /// <summary>
    /// EWMA weight λ of a new observation (trust ← (1−λ)·trust + λ·score). 0.1 gives a memory of ~1/λ = 10
    /// rounds: one noisy round cannot sink an honest peer, a peer that turns bad is ignored within ~10 rounds.
    /// </summary>
    public double Decay { get; init; } = 0.1;

    /// <summary>
    /// Trust of a peer never seen before. 0.5 = half weight: a newcomer (or a Sybil identity, which is free to
    /// create) must earn full weight by behaving well, but is not ignored outright.
    /// </summary>
    public double InitialTrust { get; init; } = 0.5;

    /// <summary>
    /// Distance to the robust aggregate, in multiples of the median peer distance, still scored as fully honest.
    /// Honest non-IID peers spread around the median (half are above it by definition); 1.5 admits that
    /// spread, in the spirit of the median-based outlier rules of Krum/trimmed mean (Blanchard et al. 2017).
    /// </summary>
    public double DistanceTolerance { get; init; } = 1.5;

    /// <summary>Score of a delta the robust aggregation rule rejected outright: 0, it was judged harmful.</summary>
    public double RejectedScore { get; init; }

    /// <summary>
    /// Score each contributor gets when the merged candidate fails the validation gate. 0.25, not 0: the gate
    /// cannot tell which contributor caused the regression, so honest co-contributors are penalised too and
    /// must recover through their distance observations.
    /// </summary>
    public double GateRejectionScore { get; init; } = 0.25;

    /// <summary>Trust below which a peer's deltas are ignored (weight 0). 0.3: reached after ~5 rounds of clearly
    /// harmful deltas (score 0) from the initial trust 0.5, ~12 from full trust (0.9ⁿ &lt; 0.3).</summary>
    public double IgnoreBelow { get; init; } = 0.3;

    /// <summary>Trust from which a peer gets full weight 1; between <see cref="IgnoreBelow"/> and this the
    /// weight rises linearly. 0.7 is reached by an honest newcomer after ~5 rounds.</summary>
    public double FullWeightAbove { get; init; } = 0.7;

    /// <summary>
    /// Score peers on their deviation history as well (<see cref="CollusionMath"/>): a peer whose moving average
    /// of (state − aggregate) points the same way as another peer's is scored down, which is what colluding ALIE
    /// senders do and independent honest peers do not. On by default: in netsim it brings byzantine-30 under ALIE
    /// from 2× to within a few % of the honest nodes alone and leaves the attack-free scenarios unchanged
    /// (netsim/scenarios/README.md, "Measured figures").
    /// </summary>
    public bool ScoreCollusion { get; init; } = true;

    /// <summary>
    /// Weight β of a new deviation in the history (h ← (1−β)·h + β·deviation). 0.2 remembers ~1/β = 5 rounds:
    /// long enough that colluders' per-round timing jitter averages out (their histories reach cosine ≥ 0.99 in
    /// netsim), short enough that a group that starts colluding is ignored within ~10 rounds.
    /// </summary>
    public double HistoryDecay { get; init; } = 0.2;

    /// <summary>
    /// Largest cosine between two peers' deviation histories (after their common part is removed) that is still
    /// scored fully honest. Independent deviations in d dimensions have |cos| ~ 1/√d; in byzantine-30, with and
    /// without attackers, honest histories measured at most 0.57 even before removing the common part, and no
    /// honest peer scored below 1 in any shipped scenario; 0.9 leaves room for non-IID peers with similar data.
    /// </summary>
    public double CollusionCosineLow { get; init; } = 0.9;

    /// <summary>
    /// Cosine from which a peer scores 0 (linear between <see cref="CollusionCosineLow"/> and this). 0.98: ALIE
    /// senders crafting at slightly different times measured 0.992–1.000 in byzantine-30, and most of their scores
    /// were exactly 0.
    /// </summary>
    public double CollusionCosineHigh { get; init; } = 0.98;

    /// <summary>
    /// Peers tracked at most; the least recently seen is evicted beyond. 1024 covers any realistic neighbourhood
    /// (a mesh node talks to tens of peers) and bounds memory and the state file (~150 B a peer) against a flood
    /// of fresh identities.
    /// </summary>
    public int MaxPeers { get; init; } = 1024;

    /// <summary>Checks every value; the message names the offending key and why.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        CheckUnit(errors, "reputation.decay", Decay, allowZero: false);
        CheckUnit(errors, "reputation.initial_trust", InitialTrust, allowZero: true);
        CheckUnit(errors, "reputation.rejected_score", RejectedScore, allowZero: true);
        CheckUnit(errors, "reputation.gate_rejection_score", GateRejectionScore, allowZero: true);
        CheckUnit(errors, "reputation.ignore_below", IgnoreBelow, allowZero: true);
        CheckUnit(errors, "reputation.full_weight_above", FullWeightAbove, allowZero: false);
        if (!(DistanceTolerance >= 1) || !double.IsFinite(DistanceTolerance))
        {
            errors.Add($"reputation.distance_tolerance must be a finite number >= 1 (multiples of the median distance), got {DistanceTolerance}");
        }

        CheckUnit(errors, "reputation.history_decay", HistoryDecay, allowZero: false);
        if (!(CollusionCosineLow < CollusionCosineHigh) || !(CollusionCosineLow >= -1) || !(CollusionCosineHigh <= 1))
        {
            errors.Add($"reputation.collusion_cosine_low ({CollusionCosineLow}) must be below reputation.collusion_cosine_high ({CollusionCosineHigh}), both in [-1, 1]");
        }

        if (!(FullWeightAbove > IgnoreBelow))
        {
            errors.Add($"reputation.full_weight_above ({FullWeightAbove}) must be greater than reputation.ignore_below ({IgnoreBelow})");
        }

        if (MaxPeers is < 1 or > 1_000_000)
        {
            errors.Add($"reputation.max_peers must be in 1..1000000, got {MaxPeers}");
        }

        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid key.</summary>
    public ReputationOptions EnsureValid()
    {
        IReadOnlyList<string> errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException(string.Join("; ", errors));
    }

    private static void CheckUnit(List<string> errors, string key, double value, bool allowZero)
    {
        bool ok = allowZero ? value is >= 0 and <= 1 : value is > 0 and <= 1;
        if (!ok)
        {
            errors.Add($"{key} must be in {(allowZero ? "[0, 1]" : "(0, 1]")}, got {value}");
        }
    }
}
