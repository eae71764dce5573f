using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Merge;

/// <summary>Merge-area log messages; event ids 4200–4299 belong to node/Merge (Privacy has 4000–4099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Warning, Message = "Rejected delta {Index} from {Source}: {Reason} ({Detail})")]
    public static partial void DeltaRejected(ILogger logger, int index, string source, RejectionReason reason, string detail);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "Norm-bounded delta {Index} from {Source} by factor {Scale}")]
    public static partial void DeltaNormBounded(ILogger logger, int index, string source, float scale);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Aggregated {Accepted}/{Total} deltas of {Length} floats with {Rule}")]
    public static partial void Aggregated(ILogger logger, int accepted, int total, int length, string rule);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "No acceptable delta among {Total}; aggregate left unchanged")]
    public static partial void NothingToAggregate(ILogger logger, int total);
}
