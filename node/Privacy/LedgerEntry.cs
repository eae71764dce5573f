namespace FedMesh.Node.Privacy;

/// <summary>One ledger record as reported: a release, or the conservative charge for a torn record.</summary>
/// <param name="EpsilonAfter">Running ε (improved conversion, at the ledger's δ) recomputed on open.</param>
/// <param name="Level">"record" or "node": which mechanism the charge is (records from before levels: "node").</param>
public sealed record LedgerEntry(long Sequence, bool IsTornCharge, DateTimeOffset Time, GaussianRelease Release, string? ContentId, double EpsilonAfter, string Level = PrivacyLevels.Node);
