using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Audit;

/// <summary>Audit log events, ids 5200-5299.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Audit log {Path} opened: {Entries} entries, last hash {LastHash}")]
    public static partial void Opened(ILogger logger, string path, long entries, string lastHash);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Audit log {Path}: line {Line} was torn by an interrupted append ({Bytes} bytes); saved to {SavedTo} and cut off")]
    public static partial void TornTailRepaired(ILogger logger, string path, long line, long bytes, string savedTo);
}
