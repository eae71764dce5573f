namespace FedMesh.Node.Audit;

/// <summary>The first broken link of an audit log: 1-based line number and what differs.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Problem">What is wrong, e.g. "hash mismatch: stored …, computed … (the line was modified)".</param>
/// <param name="IsTornTail">True when the only problem is an incomplete last line (an append interrupted by a crash).</param>
public sealed record AuditBreak(long Line, string Problem, bool IsTornTail)
{
    /// <summary>True when the chain is intact but shorter than its anchor recorded (entries cut off the end), or
    /// does not match it; <see cref="Line"/> is then the first missing line.</summary>
    public bool IsTruncation { get; init; }
}

/// <summary>Outcome of checking an audit log's hash chain.</summary>
/// <param name="Entries">Intact entries before the first break (all entries when intact).</param>
/// <param name="LastHash">Hash of the last intact entry (the genesis value for an empty log).</param>
/// <param name="IntactBytes">Byte length of the intact prefix.</param>
/// <param name="Break">The first broken link, or null when the whole chain is intact.</param>
public sealed record AuditVerifyResult(long Entries, string LastHash, long IntactBytes, AuditBreak? Break)
{
    public bool Intact => Break is null;
}
