using Microsoft.Extensions.Logging;

namespace FedMesh.NetSim.Lab;

/// <summary>Namespace lab log events, ids 6600-6699.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6600, Level = LogLevel.Debug, Message = "Running {CommandLine}")]
    public static partial void CommandRun(ILogger logger, string commandLine);

    [LoggerMessage(EventId = 6601, Level = LogLevel.Information, Message = "Created namespace {Namespace}")]
    public static partial void NamespaceCreated(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 6602, Level = LogLevel.Information, Message = "Deleted namespace {Namespace}")]
    public static partial void NamespaceDeleted(ILogger logger, string @namespace);

    [LoggerMessage(EventId = 6610, Level = LogLevel.Information, Message = "Started node {Index} (pid {Pid}) in {Namespace}, log {LogPath}")]
    public static partial void NodeStarted(ILogger logger, int index, int pid, string @namespace, string logPath);

    [LoggerMessage(EventId = 6611, Level = LogLevel.Information, Message = "Stopped pid {Pid} in {Namespace} ({Signal})")]
    public static partial void ProcessStopped(ILogger logger, int pid, string @namespace, string signal);

    [LoggerMessage(EventId = 6620, Level = LogLevel.Information, Message = "Applied faults to node {Index}: {Faults}")]
    public static partial void FaultsApplied(ILogger logger, int index, string faults);

    [LoggerMessage(EventId = 6621, Level = LogLevel.Warning, Message = "This kernel has no sch_netem: {Detail}")]
    public static partial void NetemMissing(ILogger logger, string detail);

    [LoggerMessage(EventId = 6630, Level = LogLevel.Warning, Message = "Lab {Lab}: up failed, rolling back: {Reason}")]
    public static partial void RollingBack(ILogger logger, string lab, string reason);

    [LoggerMessage(EventId = 6631, Level = LogLevel.Warning, Message = "Lab {Lab}: cleanup step failed, continuing: {Reason}")]
    public static partial void CleanupStepFailed(ILogger logger, string lab, string reason);
}
