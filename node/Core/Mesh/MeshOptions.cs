using FedMesh.Node.Merge;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Mesh;

/// <summary>How a node turns local training and received states into its next adapter (SPEC.md §10).</summary>
public sealed record MeshOptions
{
    public static readonly MeshOptions Default = new();

    /// <summary>Local optimizer steps per round. 20 steps of batch 16 × 64 bytes ≈ 20 KB of text per round: enough
    /// progress that a round's delta is signal, few enough that non-IID nodes do not drift far between merges.</summary>
    public int LocalSteps { get; init; } = 20;

    /// <summary>Most origins merged per round (the newest states win). Bounds merge cost to k·d in big meshes; 32 is
    /// the largest k our robust rules are benchmarked at.</summary>
    public int MaxMergeInputs { get; init; } = 32;

    /// <summary>Discount of a state by its age in rounds (γ^age, dropped beyond the cap).</summary>
    public StalenessOptions Staleness { get; init; } = StalenessOptions.Default;

    /// <summary>
    /// Wire encoding of released states (<c>gossip.encoding</c>). fp32 is exact; fp16 halves bytes at ~1e-3 relative
    /// error; int8 quarters them at ≤ max|x| / 254 absolute error per tensor. Applied to the state after the DP noise,
    /// so it is post-processing and the privacy guarantee is unchanged. The record default stays exact; the daemon's
    /// configuration default is <c>gossip.encoding</c>'s.
    /// </summary>
    public TensorEncoding Encoding { get; init; } = TensorEncoding.Float32;

    /// <summary>
    /// With a lossy <see cref="Encoding"/>, add what rounding took off the previous release to the next one
    /// (<see cref="Mesh.ErrorFeedback"/>), so the rounding does not bias what neighbours average. On by default; off only
    /// to measure what it buys.
    /// </summary>
    public bool ErrorFeedback { get; init; } = true;

    /// <summary>
    /// Default <see cref="Density"/>: 60 % of each tensor per release, 0.725 bytes per element with the bitmap (5.5× fewer
    /// than fp32's 4). Chosen as the density that meets issue 16's compression bar on the wire, not only in the payload:
    /// on sotu-16 (real learner, 10 rounds, seed 1790) it stayed within 0.46 % of fp32's held-out bits per byte every
    /// round (+0.34 % after 10) at 4.01× fewer bytes delivered, membership, handshakes and manifests included (about
    /// 13 KB a delta that no encoding shrinks); 0.75 was within 0.21 % but 3.75× fewer on the wire, 0.25 (10.7× fewer
    /// payload bytes) 0.66 % worse by round 3 (README, "compression cost").
    /// </summary>
    public const double DefaultDensity = 0.6;

    /// <summary>
    /// With <see cref="TensorEncoding.SparseInt8"/> (<c>gossip.encoding = "sparse"</c>), the fraction of each tensor's
    /// elements a release carries (<see cref="RandomK"/>; <c>gossip.density</c>). Ignored by dense encodings.
    /// </summary>
    public double Density { get; init; } = DefaultDensity;

    /// <summary>
    /// With <see cref="TensorEncoding.ModuloInt8"/> (<c>gossip.encoding = "int8-wz"</c>), the step's margin over the
    /// spread the sender sees: step = margin × max|x − y_j| / 127 over the states y_j in its inbox (per tensor; leaving out
    /// far states of origins reputation ignores, SPEC §5.4), so a
    /// receiver whose own state differs from the release by up to margin times that spread decodes it. Between 1 (below
    /// it a receiver exactly as far as the farthest state heard would wrap) and 1000 (a step that coarse is int8's or
    /// worse for any spread within 8× the values, so nothing is left to gain). 2: measured on issue 16's consensus
    /// scenario, no release was refused (netsim/scenarios/README.md, "Issue 16: modulo int8").
    /// </summary>
    public double ModuloMargin { get; init; } = 2.0;

    /// <summary>
    /// Neighbours (default): the inbox holds only what neighbours sent (the engine relays nothing), the newest state of
    /// each within the staleness cap, mixed with Metropolis–Hastings weights (<see cref="MixingWeights"/>); flood: the
    /// newest state of every origin, uniformly weighted. Keeping a neighbour's state for a few rounds (discounted γ^age,
    /// as flood keeps every origin's) gives the robust rule more inputs than one round's fanout: measured on a 10-node
    /// ALIE run (30% attackers, geometric median, fanout 8), using each received state only once ended 9.6% farther
    /// from the optimum than flood, keeping them 1.6%.
    /// </summary>
    public Gossip.GossipMode Mode { get; init; } = Gossip.GossipMode.Neighbours;

    /// <summary>
    /// The degree the mixing weights assume for every node in neighbours mode: the gossip fanout (each node's
    /// out-degree, and its expected in-degree). 3 = <c>gossip.fanout</c>'s default.
    /// </summary>
    public int MixingDegree { get; init; } = 3;

    /// <summary>Apply local differential privacy (clip + Gaussian noise, ledger) to every release.</summary>
    public bool PrivacyEnabled { get; init; } = true;

    /// <summary>
    /// Largest L2 distance a peer's state may have from this node's own state when it enters the merge; farther ones
    /// are pulled in to that distance (<see cref="NormBounding.BoundDistance"/>), so no single origin drags the
    /// average further than that in one round, whatever the rule (a scaling attacker is bounded even under the plain
    /// mean). 0 (default) = automatic: <see cref="AutoDistanceFactor"/> × the norm of this node's own change this
    /// round (its privatized update, noise included): it follows the learner's and the privacy noise's scale, where any
    /// fixed number would be wrong for some setup. Honest peers make changes of the same distribution, so their
    /// distance is ≈ √2 × that plus the drift merging leaves (measured, 4 SOTU nodes, 36,864 LoRA parameters, lr 1e-2:
    /// own change 5–9, peer distance 6.4–11, ratio 1.3–1.6). A positive value is an
    /// absolute bound in adapter units.
    /// </summary>
    public double PeerDistanceBound { get; init; }

    /// <summary>
    /// Automatic distance bound in units of this round's own change (see <see cref="PeerDistanceBound"/>). 10, not 3:
    /// after a partition heals the other side's states are legitimately far (netsim partition-heal: 3× slowed the
    /// first round after the heal from +0.57% to −3.5% off the unpartitioned run; 10× never binds there), while a
    /// scaling attacker is still held to ten rounds' worth of change.
    /// </summary>
    public const double AutoDistanceFactor = 10;

    /// <summary>
    /// Share of a merge's inputs (this node's own state counted) farther than the distance bound at or above which the
    /// round records no distance scores in reputation (<see cref="ReputationEvidence.ScoresRound"/>). ½: from there on
    /// the far states are at least half of what the robust rule centres on (centered clipping's median radius is a far
    /// state's), so distance to the aggregate no longer tells near states from far ones; below it the near states set
    /// the median and the scores stand. Issue 16's seed-9 capture in byzantine-30 went through such rounds; skipping them
    /// kept every honest node within 0.1 of the optimum at seeds 1–10 under the seven attacks (netsim/scenarios/README.md,
    /// "Seed 9"). Not tuned: the smallest share at which a far state is the median input. An absolute
    /// <see cref="PeerDistanceBound"/> small enough that honest states exceed it leaves most rounds unscored:
    /// <c>fedmesh_reputation_unscored_rounds_total</c> shows it.
    /// </summary>
    public const double UnscoredBoundedShare = 0.5;

    /// <summary>Nominal round length, used to age states from their manifest timestamps.</summary>
    public TimeSpan RoundPeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where a release's own signature is recorded as valid (<see cref="FedMesh.Protocol.Deltas.SignatureMemo"/>): a
    /// simulator hosting many nodes shares one with their gossip engines, so no receiver re-checks it. Null (the daemon).
    /// </summary>
    public FedMesh.Protocol.Deltas.SignatureMemo? SignatureMemo { get; init; }

    /// <summary>
    /// The oldest state a round could still merge: ages are whole round units (at most
    /// <see cref="RoundCoordinator.MaxRoundUnitPeriods"/> periods each) and an age above
    /// <see cref="StalenessOptions.MaxAgeRounds"/> is dropped, so nothing older than (max age + 1) of the longest units
    /// can count. Manifests dated further back are rejected on arrival (SPEC.md §5.5 step 6).
    /// </summary>
    public TimeSpan StalenessHorizon => RoundPeriod * RoundCoordinator.MaxRoundUnitPeriods * (Staleness.MaxAgeRounds + 1);

    public string? Problem()
    {
        if (LocalSteps is < 1 or > 100_000)
        {
            return "gossip.local_steps must be between 1 and 100000";
        }

        if (MaxMergeInputs is < 1 or > 1024)
        {
            return "MaxMergeInputs must be between 1 and 1024";
        }

        if (MixingDegree is < 1 or > 1024)
        {
            return "the mixing degree (gossip.fanout) must be between 1 and 1024";
        }

        if (!(Density > 0 && Density <= 1))
        {
            return "gossip.density must be in (0, 1]";
        }

        if (!(ModuloMargin >= 1 && ModuloMargin <= 1000))
        {
            return "gossip.modulo_margin must be between 1 and 1000";
        }

        if (!(PeerDistanceBound >= 0) || double.IsInfinity(PeerDistanceBound))
        {
            return "merge.norm_bound must be finite and ≥ 0";
        }

        return RoundPeriod <= TimeSpan.Zero ? "gossip.period must be positive" : null;
    }
}
