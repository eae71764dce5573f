namespace FedMesh.Node.Privacy;

/// <summary>Where the node stands against its privacy budget.</summary>
public enum PrivacyBudgetState
{
    /// <summary>Below the warning fraction, and the next release fits.</summary>
    Ok,

    /// <summary>At or above the warning fraction (default 80%); releases still fit.</summary>
    Warning,

    /// <summary>The next release at the configured parameters would exceed the budget: releases are refused,
    /// learning and receiving continue.</summary>
    Exhausted,

    /// <summary>The ledger is shorter than its anchor (records were cut off its end) or does not match it: what was
    /// spent is unknown, so every release is refused until an operator restores the ledger or acknowledges the
    /// truncation (<see cref="PrivacyLedger.AcknowledgeTruncation"/>). Learning and receiving continue.</summary>
    Truncated,
}

/// <summary>
/// Snapshot for status and metrics. ε values are at <see cref="Delta"/>; <see cref="SpentEpsilon"/> uses the
/// improved conversion (Balle et al. 2020) that enforcement uses, <see cref="SpentEpsilonClassic"/> the classic one.
/// </summary>
public sealed record PrivacyBudgetStatus(
    long Releases,
    double SpentEpsilon,
    double SpentEpsilonClassic,
    int BestOrder,
    double BudgetEpsilon,
    double Delta,
    double RemainingEpsilon,
    double FractionSpent,
    double NextReleaseEpsilon,
    PrivacyBudgetState State,
    long TornRecordsCharged,
    string Message)
{
    /// <summary>Records cut off the ledger's end that an operator acknowledged, charged conservatively.</summary>
    public long LostRecordsCharged { get; init; }

    /// <summary>"record" or "node": the mechanism this node charges now.</summary>
    public string Level { get; init; } = PrivacyLevels.Node;

    /// <summary>What one release (record level: one round of local steps) is charged as: C, σ, q and compositions.</summary>
    public GaussianRelease Mechanism { get; init; }
}

/// <summary>Outcome of <see cref="PrivacyLedger.ReserveRelease"/>.</summary>
/// <param name="Granted">True when the record is durable and the caller may send.</param>
/// <param name="Reason">Why a release was refused (empty when granted).</param>
/// <param name="Sequence">Ledger sequence number of the durable record (0 when refused).</param>
/// <param name="Status">Budget status after the decision.</param>
public sealed record ReleaseDecision(bool Granted, string Reason, long Sequence, PrivacyBudgetStatus Status);
