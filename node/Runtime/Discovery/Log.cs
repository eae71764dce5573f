using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Discovery;

/// <summary>Discovery log messages; event ids 5000–5099 (issue 5, discovery part).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "mDNS discovery started for {PeerId} in mesh {MeshId}, port {Port}, on {Interfaces} interface(s)")]
    public static partial void Started(ILogger logger, string peerId, string meshId, int port, int interfaces);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "mDNS: peer {PeerId} {Change} at {EndPoints}")]
    public static partial void PeerFound(ILogger logger, string peerId, DiscoveryChange change, string endPoints);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "mDNS: peer {PeerId} lost (goodbye or expired)")]
    public static partial void PeerLost(ILogger logger, string peerId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "mDNS: dropped a malformed packet from {Source}: {Error}: {Reason}")]
    public static partial void MalformedPacket(ILogger logger, string source, string error, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "mDNS: ignored peer {PeerId} of mesh {MeshId}")]
    public static partial void OtherMesh(ILogger logger, string peerId, string meshId);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "mDNS transport joined {Family} group on interface {Name} (#{Index})")]
    public static partial void Joined(ILogger logger, string family, string name, int index);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "mDNS transport left interface {Name} (#{Index})")]
    public static partial void Left(ILogger logger, string name, int index);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "mDNS transport could not join {Family} group on interface {Name} (#{Index}): {Reason}")]
    public static partial void JoinFailed(ILogger logger, string family, string name, int index, string reason);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "mDNS send on interface #{Index} failed: {Reason}")]
    public static partial void SendFailed(ILogger logger, int index, string reason);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "mDNS receive ({Family}) failed, continuing: {Reason}")]
    public static partial void ReceiveFailed(ILogger logger, string family, string reason);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "mDNS interface scan failed, keeping the previous interfaces: {Reason}")]
    public static partial void ScanFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Error, Message = "mDNS transport could not open a {Family} socket on port {Port}: {Reason}")]
    public static partial void SocketFailed(ILogger logger, string family, int port, string reason);
}
