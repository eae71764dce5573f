using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Privacy;

/// <summary>Privacy area log messages; event ids 4000–4099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Privacy ledger {Path} opened: {Releases} releases, ε = {Epsilon:F4} of {Budget} at δ = {Delta}")]
    public static partial void LedgerOpened(ILogger logger, string path, long releases, double epsilon, double budget, double delta);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Privacy ledger {Path}: torn last record at byte offset {Offset} ({Length} bytes, {Lines} line(s)): {Reason}. Charged conservatively as spent (σ = {Sigma}, q = {Q}, steps = {Steps}); {Action}")]
    public static partial void TornTail(ILogger logger, string path, long offset, long length, int lines, string reason, double sigma, double q, long steps, string action);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Privacy budget warning: ε = {Epsilon:F4} spent of {Budget} ({Percent:F1}%) at δ = {Delta}")]
    public static partial void BudgetWarning(ILogger logger, double epsilon, double budget, double percent, double delta);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Privacy release refused: {Reason}")]
    public static partial void ReleaseRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Privacy release {Sequence} reserved: σ = {Sigma}, q = {Q}, steps = {Steps}, ε now {Epsilon:F4}")]
    public static partial void ReleaseReserved(ILogger logger, long sequence, double sigma, double q, long steps, double epsilon);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Privacy ledger {Path} append failed; releases are refused until the ledger is reopened")]
    public static partial void AppendFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Privacy ledger {Path} {Problem}. Releases are refused until an operator restores the ledger from a backup or runs `fedmesh privacy --acknowledge-truncation`")]
    public static partial void LedgerTruncated(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Privacy ledger {Path} holds {Records} records but has no anchor (written before anchors, or the anchor was deleted); anchoring its current head")]
    public static partial void AnchorMissing(ILogger logger, string path, long records);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Privacy ledger {Path}: {Message}")]
    public static partial void TruncationAcknowledged(ILogger logger, string path, string message);
}
