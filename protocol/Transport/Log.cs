using FedMesh.Protocol.Security;
using Microsoft.Extensions.Logging;

namespace FedMesh.Protocol.Transport;

/// <summary>Transport-layer log messages; event ids 2100–2199 belong to this area.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "Handshake with {Peer} complete ({Role}, {Suite})")]
    public static partial void HandshakeCompleted(ILogger logger, string peer, string role, CipherSuite suite);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Handshake failed ({Role}): {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string role, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Connection to {Peer} closed: {Reason}")]
    public static partial void Closed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Connection to {Peer} aborted: {Reason}")]
    public static partial void Aborted(ILogger logger, string peer, string reason);
}
