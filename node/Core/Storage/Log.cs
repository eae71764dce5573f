using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Storage;

/// <summary>Storage log events, ids 5500-5599.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5500, Level = LogLevel.Warning, Message = "State directory {Path} had mode {Mode}; tightened to 0700")]
    public static partial void StateDirectoryTightened(ILogger logger, string path, string mode);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "State file {Path} had mode {Mode}; took group and other permissions off")]
    public static partial void StateFileTightened(ILogger logger, string path, string mode);

    [LoggerMessage(EventId = 5501, Level = LogLevel.Information, Message = "Using state directory {Path} (locked)")]
    public static partial void StateDirectoryLocked(ILogger logger, string path);

    [LoggerMessage(EventId = 5510, Level = LogLevel.Information, Message = "Saved checkpoint of round {Round} to {Path} ({Bytes} payload bytes)")]
    public static partial void CheckpointSaved(ILogger logger, long round, string path, int bytes);

    [LoggerMessage(EventId = 5511, Level = LogLevel.Debug, Message = "Pruned checkpoint {Path} (keeping {Keep})")]
    public static partial void CheckpointPruned(ILogger logger, string path, int keep);

    [LoggerMessage(EventId = 5512, Level = LogLevel.Warning, Message = "Skipping checkpoint {Path}: {Reason}")]
    public static partial void CheckpointSkipped(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5513, Level = LogLevel.Information, Message = "Loaded checkpoint of round {Round} from {Path}")]
    public static partial void CheckpointLoaded(ILogger logger, long round, string path);

    [LoggerMessage(EventId = 5514, Level = LogLevel.Information, Message = "Removed {Path}, left over from an interrupted write")]
    public static partial void StaleTempRemoved(ILogger logger, string path);
}
