namespace FedMesh.Node.Configuration;

/// <summary>The <c>[trust]</c> section: how a received delta is validated against the local holdout set.</summary>
public sealed record TrustSection
{
    public static readonly TrustSection Default = new();

    /// <summary>
    /// A delta is rejected when it raises the holdout loss by more than 5 % (relative): DP noise alone moves the
    /// loss by less than that for the default σ, a poisoned delta usually by much more.
    /// </summary>
    public double ValidationMargin { get; init; } = 0.05;

    /// <summary>
    /// Copy and collusion evidence (<see cref="Reputation.ReputationOptions.ShareCopyWeight"/>): inputs that copy each
    /// other or whose deviations keep pointing the same way share merge weight, and pushes go past them. On by default
    /// (byzantine-30's ALIE +18.2 % → +4.5 % with <see cref="CopyLinksNeedCloseCall"/> and <see cref="CopyShareExponent"/>
    /// 2, the defaults); a mesh of known,
    /// trusted members can turn it off to save what it still costs without attackers (near copies and close calls looked
    /// for in every merge; README, "Privacy and trust").
    /// </summary>
    public bool CopyEvidence { get; init; } = true;

    /// <summary>
    /// Copy evidence's history-cosine links count only for peers caught in a close call
    /// (<see cref="Reputation.ReputationOptions.CosineLinkNeedsCloseCall"/>): on by default. Alike honest peers keep their
    /// weight, so the consensus is where it is without copy evidence (netsim consensus.toml, N = 16 / 64 / 256); off, more
    /// colluders are linked (byzantine-30 ALIE +6.2 % over the honest nodes alone against +7.2 %) and alike honest peers
    /// share weight, which moves the consensus (N = 16 / 64: 36 % / 17 % farther from the optimum than flood; README,
    /// "Privacy and trust").
    /// </summary>
    public bool CopyLinksNeedCloseCall { get; init; } = true;

    /// <summary>
    /// Exponent e of the share factor on a linked input's merge weight, (1 + its links in the merge)^−e
    /// (<see cref="Reputation.ReputationOptions.CopyShareExponent"/>, where the figures behind the default are): 2 (default)
    /// weighs k copies of each other as 1/k of one input, 1 as one input, 0 turns the sharing off (pushes still go past
    /// linked peers). In [0, <see cref="Reputation.ReputationOptions.MaxCopyShareExponent"/>].
    /// </summary>
    public double CopyShareExponent { get; init; } = Reputation.ReputationOptions.Default.CopyShareExponent;

    /// <summary>
    /// Mean deviation-history cosine from which pushes go past a peer as if it were ignored
    /// (<see cref="Reputation.ReputationOptions.PushPastCosine"/>): 0.2 (default); 1 keeps pushes going past exact and
    /// near copies only. In [−1, 1].
    /// </summary>
    public double PushPastCosine { get; init; } = Reputation.ReputationOptions.Default.PushPastCosine;

    /// <summary>
    /// Merge rounds after one whose inputs were mostly beyond the distance bound during which this node counts itself
    /// under attack and replaces sessions (<see cref="Reputation.ReputationOptions.UnscoredMemoryRounds"/>): 5 (default);
    /// 0 waits for an ignored peer before rotating.
    /// </summary>
    public int UnscoredMemoryRounds { get; init; } = Reputation.ReputationOptions.Default.UnscoredMemoryRounds;
}
