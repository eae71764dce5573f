using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Data;

/// <summary>Source-generated log messages of the data area (event ids 3000–3099). Never logs document text.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
        Message = "Loaded data folder {Folder}: {Summary}")]
    public static partial void DataLoaded(ILogger logger, string folder, DataLoadReport summary);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "Skipped data file {File}: {Reason} ({Detail})")]
    public static partial void FileSkipped(ILogger logger, string file, DataSkipReason reason, string detail);

    // Debug: a large malformed file would otherwise flood the log with one line per record; the counts are in the report.
    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug,
        Message = "Skipped line {Line} of {File}: {Reason}")]
    public static partial void LineSkipped(ILogger logger, string file, long line, DataSkipReason reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning,
        Message = "Data limit reached at {Source}: {Limit}; later documents are not loaded")]
    public static partial void LimitReached(ILogger logger, string source, string limit);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning,
        Message = "Dropped document {Source}: a redaction rule timed out, so it may not be fully redacted")]
    public static partial void RedactionTimedOut(ILogger logger, string source);
}
