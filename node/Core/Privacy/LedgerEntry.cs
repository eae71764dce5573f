namespace FedMesh.Node.Privacy;

/// <summary>One ledger record as reported: a release, or the conservative charge for a torn record or for records
/// lost to a truncation the operator acknowledged (<see cref="IsLostCharge"/>).</summary>
/// <param name="EpsilonAfter">Running ε (improved conversion, at the ledger's δ) recomputed on open.</param>
/// <param name="Level">"record" or "node": which mechanism the charge is (records from before levels: "node").</param>
public sealed record LedgerEntry(long Sequence, bool IsTornCharge, DateTimeOffset Time, GaussianRelease Release, string? ContentId, double EpsilonAfter, string Level = PrivacyLevels.Node)
{
    /// <summary>True for the charge of records cut off the ledger (see <see cref="PrivacyLedger.AcknowledgeTruncation"/>).</summary>
    public bool IsLostCharge { get; init; }
}
