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
    /// Score the peers a merge ignores (trust below <see cref="IgnoreBelow"/>) as well, on the distance of their newest
    /// state to the round's aggregate against the merged peers' median distance, so a peer can earn its way back. They
    /// were never observed once ignored, so an honest peer that a node ignored while the node was off (its aggregate
    /// set by attackers, which makes the honest states the far ones) stayed ignored after the node came back: in netsim
    /// byzantine-30 with sessions that follow the view (session 22: out-of-view grace 20 s) node 16 at seed 5 under
    /// sign flip returned to distance 0.06 at round 33 with all nine of its honest peers still ignored, merged only
    /// attackers and one newcomer, and was captured again (7.6). Ignored attackers' states stay far from an honest
    /// aggregate and score 0. On by default.
    /// </summary>
    public bool ObserveIgnored { get; init; } = true;

    /// <summary>
    /// Merge rounds after one whose inputs were mostly farther than the distance bound (the round reputation leaves
    /// unscored, <see cref="Mesh.ReputationEvidence.ScoresRound"/>) during which this node counts itself under attack
    /// (<see cref="ReputationTracker.UnderAttack"/>) even though it ignores nobody; the membership then replaces
    /// sessions as it does while a peer is ignored. Such a round is evidence that needs no peer scored down: the
    /// distance bound is ten times this node's own step, honest peers' states are about √2 steps away, so most of a
    /// merge beyond it means most of what it hears is far from anything it could have trained to. A node whose first
    /// sessions are mostly noisy attackers never scores one down (their distances set the merge's median and its
    /// tolerance): netsim byzantine-30, Gaussian noise, seed 18, node 9 merged six attackers from round 2, its rounds
    /// 2–6 were unscored, it ignored nobody until round 30 and was captured (final 5.98). An honest mesh does not make
    /// such rounds once its nodes have trained (consensus.toml N = 64, 400 rounds, and byzantine-30 with the attackers
    /// absent, seeds 1–20: none), so it is not churned. 5 merges: rotation replaces one session per shuffle period (one
    /// round), so five rounds can swap out a majority of a view-size (8) neighbourhood after a single far merge; at seed
    /// 18 memories of 1, 3, 5 and 10 all kept node 9 (final farthest honest 0.035, 0.032, 0.031, 0.033; bytes 8.14,
    /// 8.28, 8.07, 8.39 MB vs 8.03 without). 0 turns this evidence off (rotation then waits for an ignored peer).
    /// </summary>
    public int UnscoredMemoryRounds { get; init; } = 5;

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
    /// Share merge weight among inputs linked by copy or collusion evidence (<see cref="CopyEvidenceMath"/>): each
    /// input's weight × (1 + the sum of its links to the merge's other inputs)^−<see cref="CopyShareExponent"/>, and
    /// pushes go past linked peers as past ignored ones (not counted toward the fanout). Bound on harm: an honest input
    /// loses weight only to peers linked to it directly, by that factor; a replayer of an honest node's releases and
    /// that node weigh together as half the node alone did (as the node alone did at exponent 1). On by default: in
    /// netsim byzantine-30 (neighbours, centered clipping, int8) it took ALIE from +18.2 % to +5.4 % over the honest
    /// nodes alone (mean distance over rounds 21–40, seeds 1–20; +4.5 % with the exponent 2 and
    /// <see cref="PushPastCosine"/> 0.2 of session 25), leaves the other six attacks at most 1.2 points above main (seeds 1–10) and the attack-free runs, flood mode,
    /// partition-heal and churn within noise. Its cost is in scale-1000 (1,000 honest non-IID nodes, 100 rounds): honest
    /// pairs get linked as evidence accumulates, so pushes go past them: +7 % bytes (+13 % over rounds 51–100), with the
    /// distance 5 % lower there (netsim/scenarios/README.md, "Issue 16: copy and collusion evidence"); and linked honest
    /// pairs share weight, which moves the fixed point of a decaying-step consensus: consensus.toml with int8-wz ends
    /// 36 % (N = 16) and 17 % (N = 64) above flood's final against within 1 % without it (same file, "Copy evidence's
    /// cost on consensus"); <see cref="CosineLinkNeedsCloseCall"/>, on by default since session 24, removes that cost for
    /// part of the ALIE gain.
    /// </summary>
    public bool ShareCopyWeight { get; init; } = true;

    /// <summary>
    /// Two states of one merge are near-copies when their distance is at most this × the merge's robust scale (the
    /// median distance of its states to their coordinate median; the median, so attackers, a minority, cannot set it).
    /// 0.07: in byzantine-30 (int8) same-time honest pairs measured at least 0.10 of the merge's median pairwise
    /// distance, which in 32 dimensions is ≈ √2 × the robust scale, so 0.07 of the robust scale (≈ 0.05 pairwise)
    /// keeps them out, while colluders' same-time states were down to 0 (exact copies). Measured against the median
    /// pairwise distance instead, Gaussian-noise attackers (half of some merges' pairs) set the scale and honest pairs
    /// passed as copies.
    /// </summary>
    public double NearCopyRatio { get; init; } = 0.07;

    /// <summary>
    /// Largest gap between two states' timestamps, in round units, for them to count as near-copies: 0.5 round. States
    /// made further apart started from different honest states, so their closeness says nothing about copying.
    /// </summary>
    public double NearCopyMaxGapRounds { get; init; } = 0.5;

    /// <summary>
    /// Mean cosine of two peers' deviation histories from which they start to be linked (link 0 here, rising linearly
    /// to 1 at <see cref="CopyLinkCosineHigh"/>). Measured in byzantine-30 under ALIE (mean over ≥ 10 observations): colluder
    /// pairs median 0.44–0.48, p90 0.71–0.94; honest pairs at most 0.47–0.52 (0.40 without attackers). No threshold
    /// separates them, so the link is a ramp: a colluder pair shares weight in proportion, the rare honest pair near
    /// 0.5 loses a part of its weight, not all. The ramp 0.3–0.6 measured better on ALIE than a hard 0.5 with the
    /// attack-free runs unchanged within noise.
    /// </summary>
    public double CopyLinkCosineLow { get; init; } = 0.3;

    /// <summary>Mean history cosine at which a pair is fully linked (link 1). 0.6: see <see cref="CopyLinkCosineLow"/>.</summary>
    public double CopyLinkCosineHigh { get; init; } = 0.6;

    /// <summary>
    /// History cosines a pair needs before its mean counts: 10 merges together. A mean over fewer is noise enough that
    /// requiring 10 instead of 5 took ALIE in byzantine-30 from +7.4 % to +3.2 % (seeds 1–5); colluder pairs reached a
    /// median of 19–22 observations in a 40-round run.
    /// </summary>
    public int CopyLinkMinObservations { get; init; } = 10;

    /// <summary>
    /// Whether a pair's mean history cosine links it (merge ramp and push-past) only when one of the two was a party to
    /// a close call with some peer (<see cref="CloseCallRatio"/>); a near-copy event of the pair itself always links.
    /// Why: honest peers whose data are alike reach the mean history cosines ALIE colluders do (0.3–0.6 against the
    /// colluders' 0.4–0.7), and the weight they then share moves the fixed point of a decaying-step consensus; colluders
    /// craft from the same honest states, so two of their states in one merge are now and then far closer than the
    /// merge's spread, which honest states are not. On by default since session 24 (measured 2026-12-07, main aa4950a,
    /// netsim/scenarios/README.md, "Links that need a close call"): consensus.toml int8-wz ends at the
    /// <c>--no-copy-evidence</c> digits (N = 16 / 64 / 256: 0.050168 / 0.021049 / 0.015307 at round 400, within 1 % of
    /// flood at rounds 141 / 340 / 425) against 0.06805 / 0.02476 off (+36 % / +17 % from flood's 0.04992 / 0.02116): an
    /// honest mesh, the common case, converges where it would without the evidence. The price is in byzantine-30, where
    /// a given node never catches some colluders: ALIE +7.2 % over the honest nodes alone against +6.2 % off (seeds 1–20,
    /// rounds 21–40); replayers and caught copiers still share one weight.
    /// </summary>
    public bool CosineLinkNeedsCloseCall { get; init; } = true;

    /// <summary>
    /// Two states of one merge are a close call (<see cref="CosineLinkNeedsCloseCall"/>) when their distance is at most
    /// this × the merge's robust scale (as <see cref="NearCopyRatio"/>, of which it is the looser cousin) and their
    /// timestamps at most <see cref="CloseCallMaxGapRounds"/> apart. 0.35 (with 2 rounds): the widest measured that
    /// keeps an honest consensus where it ends without copy evidence (consensus.toml N = 16 and 64 to the last digit;
    /// ALIE +6.8 %); 0.25 with 1.5 rounds caught fewer colluders (+7.7 %), near copies alone (0.07, half a round) fewer
    /// still (+10.8 %); 0.5 with 3 rounds caught more (+6.2 %) but honest pairs too (N = 16 +0.5 %, N = 64 +3.0 % over
    /// the run without).
    /// </summary>
    public double CloseCallRatio { get; init; } = 0.35;

    /// <summary>Largest gap between two states' timestamps, in round units, for a close call: 2 rounds. In neighbours
    /// mode two colluders' states rarely meet in one merge made within half a round of each other (the near-copy gap);
    /// states a round or two apart were crafted from nearly the same honest states. See <see cref="CloseCallRatio"/>.</summary>
    public double CloseCallMaxGapRounds { get; init; } = 2.0;

    /// <summary>
    /// Mean history cosine (over <see cref="CopyLinkMinObservations"/>) from which pushes go past a peer as if it were
    /// ignored (a near-copy event always counts; with <see cref="CosineLinkNeedsCloseCall"/> the cosine counts only for
    /// a pair one of whom had a close call). A peer pushes go past is still pushed to when drawn; the release then
    /// reaches one more peer, so a wrong link costs one push, not a neighbour. 0.2: in byzantine-30 under ALIE (seed 3
    /// and 7, round 40) colluder pairs' mean cosines were 0.02–0.74 (median 0.40–0.50), honest pairs' −0.13–0.27 and
    /// honest–colluder pairs' −0.41–0.03, and the pushes ALIE's unlinked senders absorb are half its effect (an oracle
    /// that pushes past every attacker: ALIE +3.5 % instead of +7.1 %). Lowered from 0.5 in session 25 with
    /// <see cref="CopyShareExponent"/> 2: ALIE +7.1 % → +4.5 % (seeds 1–20, rounds 21–40), attack-free bytes +0.6 %,
    /// consensus.toml N = 16 / 64 unchanged to the last digit (no close calls in an honest mesh, so no cosine link);
    /// before the close-call gate, a lower threshold linked non-IID honest pairs in scale-1000 (+7 % bytes at 0.5;
    /// netsim/scenarios/README.md, "Issue 16: copy and collusion evidence").
    /// </summary>
    public double PushPastCosine { get; init; } = 0.2;

    /// <summary>
    /// The exponent e of the share factor on a linked input's merge weight, (1 + the sum of its links to the merge's
    /// other inputs)^−e (<see cref="CopyEvidenceMath.ShareFactor(double, double)"/>). 1: k fully linked copies weigh
    /// together as one input; 2 (the default): as 1/k of one, so a group that copies is discounted the more the larger
    /// it is, and a replayer and the honest node it replays weigh together as half the node. 0 turns sharing off in the
    /// merge (pushes still go past linked peers). Why 2: byzantine-30 ALIE, seeds 1–20, rounds 21–40: e = 1 +7.1 %,
    /// 2 +5.9 %, 3 +5.7 %, 8 +5.9 % (the linked colluders' share of merge weight 0.14–0.18 at e = 1, 0.07 at 8; what
    /// stays is the unlinked senders and the pushes they absorb, <see cref="PushPastCosine"/>).
    /// </summary>
    public double CopyShareExponent { get; init; } = 2;

    /// <summary>Largest <see cref="CopyShareExponent"/>: at 16 each of a linked pair keeps 2^−16 (1.5e−5) of its weight,
    /// negligible beside an unlinked input's; a larger exponent changes nothing measurable and only nears underflow for
    /// inputs with many links.</summary>
    public const double MaxCopyShareExponent = 16;

    /// <summary>
    /// Pairs of peers whose evidence is kept at most; the least recently observed pair is evicted beyond. 4096 holds
    /// every pair of 90 peers (90 · 89 / 2 = 4005), more than the states one node merges (≤ the merge cap, 32 in the
    /// shipped scenarios: 496 pairs), at ~100 B a pair (≤ 0.5 MB); a flood of fresh identities only evicts old pairs.
    /// </summary>
    public int MaxCopyPairs { get; init; } = 4096;

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

        if (UnscoredMemoryRounds < 0)
        {
            errors.Add($"reputation.unscored_memory_rounds must be >= 0 (merge rounds), got {UnscoredMemoryRounds}");
        }

        if (!(FullWeightAbove > IgnoreBelow))
        {
            errors.Add($"reputation.full_weight_above ({FullWeightAbove}) must be greater than reputation.ignore_below ({IgnoreBelow})");
        }

        if (!(NearCopyRatio >= 0) || !double.IsFinite(NearCopyRatio))
        {
            errors.Add($"reputation.near_copy_ratio must be a finite number >= 0 (multiples of the merge's robust scale), got {NearCopyRatio}");
        }

        if (!(NearCopyMaxGapRounds >= 0) || !double.IsFinite(NearCopyMaxGapRounds))
        {
            errors.Add($"reputation.near_copy_max_gap_rounds must be a finite number >= 0, got {NearCopyMaxGapRounds}");
        }

        if (!(CloseCallRatio >= NearCopyRatio) || !double.IsFinite(CloseCallRatio) || !(CloseCallMaxGapRounds >= NearCopyMaxGapRounds) || !double.IsFinite(CloseCallMaxGapRounds))
        {
            errors.Add($"reputation.close_call_ratio ({CloseCallRatio}) and reputation.close_call_max_gap_rounds ({CloseCallMaxGapRounds}) must be finite and at least reputation.near_copy_ratio ({NearCopyRatio}) and reputation.near_copy_max_gap_rounds ({NearCopyMaxGapRounds}): a near copy is a close call");
        }

        if (!(CopyLinkCosineLow < CopyLinkCosineHigh) || !(CopyLinkCosineLow >= -1) || !(CopyLinkCosineHigh <= 1))
        {
            errors.Add($"reputation.copy_link_cosine_low ({CopyLinkCosineLow}) must be below reputation.copy_link_cosine_high ({CopyLinkCosineHigh}), both in [-1, 1]");
        }

        if (!(PushPastCosine is >= -1 and <= 1))
        {
            errors.Add($"reputation.push_past_cosine must be in [-1, 1], got {PushPastCosine}");
        }

        if (!(CopyShareExponent >= 0) || !(CopyShareExponent <= MaxCopyShareExponent))
        {
            errors.Add($"reputation.copy_share_exponent must be in [0, {MaxCopyShareExponent}], got {CopyShareExponent}");
        }

        if (CopyLinkMinObservations is < 1 or > 1_000_000)
        {
            errors.Add($"reputation.copy_link_min_observations must be in 1..1000000, got {CopyLinkMinObservations}");
        }

        if (MaxCopyPairs is < 1 or > 1_000_000)
        {
            errors.Add($"reputation.max_copy_pairs must be in 1..1000000, got {MaxCopyPairs}");
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
