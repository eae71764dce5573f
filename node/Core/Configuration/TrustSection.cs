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
    /// (byzantine-30's ALIE +18.2 % → +5.4 %); a mesh of known, trusted members can turn it off to save its attack-free
    /// cost: honest peers with similar data get linked, so pushes go past them (scale-1000: 7 % more bytes) and they
    /// share weight, which moves what the mesh converges to (netsim consensus.toml, N = 16 / 64: 36 % / 17 % farther from
    /// the optimum than flood, against within 1 % when off; README, "Privacy and trust").
    /// </summary>
    public bool CopyEvidence { get; init; } = true;

    /// <summary>
    /// Copy evidence's history-cosine links count only for peers caught in a close call
    /// (<see cref="Reputation.ReputationOptions.CosineLinkNeedsCloseCall"/>): off by default. On, alike honest peers stop
    /// sharing weight, so the consensus is where it is without copy evidence (netsim consensus.toml, N = 16 / 64), at a
    /// smaller ALIE gain (byzantine-30: +6.8 % over the honest nodes alone against the default's +5.4 %; README,
    /// "Privacy and trust").
    /// </summary>
    public bool CopyLinksNeedCloseCall { get; init; }
}
