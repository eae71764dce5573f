namespace FedMesh.Node.Audit;

/// <summary>
/// One delta event to audit. The log adds the time, the link to the previous line and the line's own hash.
/// Non-finite numbers (a hostile delta can have a NaN norm) are written as JSON null rather than refused.
/// </summary>
/// <param name="Kind">Sent, received, merged or rejected.</param>
/// <param name="Origin">Peer id of the delta's author (our own id for "sent").</param>
/// <param name="ContentId">Hex content hash of the signed delta.</param>
/// <param name="Sequence">The author's sequence number of the delta.</param>
/// <param name="L2Norm">L2 norm of the flat delta.</param>
/// <param name="ClipNorm">DP clip norm C the author declared.</param>
/// <param name="NoiseMultiplier">DP noise multiplier σ the author declared.</param>
/// <param name="Decision">Outcome in one word, e.g. "accepted", "rejected", "merged", "sent".</param>
/// <param name="Reason">Why, for rejections and anything unusual; null otherwise.</param>
public sealed record AuditRecord(
    AuditEventKind Kind,
    string Origin,
    string ContentId,
    long Sequence,
    double L2Norm,
    double ClipNorm,
    double NoiseMultiplier,
    string Decision,
    string? Reason = null)
{
    /// <summary>Longest text field, longer text is cut to it: peer ids and hashes are short, reasons are one sentence.</summary>
    public const int MaxFieldLength = 1024;
}
