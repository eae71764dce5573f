namespace FedMesh.Node.Privacy;

/// <summary>One ledger record as reported: a release, or the conservative charge for a torn record.</summary>
/// <param name="EpsilonAfter">Running ε (improved conversion, at the ledger's δ) recomputed on open.</param>
public sealed record LedgerEntry(long Sequence, bool IsTornCharge, DateTimeOffset Time, GaussianRelease Release, string? ContentId, double EpsilonAfter);
