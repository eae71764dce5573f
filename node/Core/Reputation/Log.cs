using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Reputation;

/// <summary>Reputation area log messages; event ids 4100–4199.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "Peer {Peer} is now ignored: trust {Trust:F3} fell below {Threshold}")]
    public static partial void PeerIgnored(ILogger logger, string peer, double trust, double threshold);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Peer {Peer} is trusted again: trust {Trust:F3} rose to {Threshold} or above")]
    public static partial void PeerRecovered(ILogger logger, string peer, double trust, double threshold);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Reputation table full ({Max} peers): evicted least recently seen peer {Peer}")]
    public static partial void PeerEvicted(ILogger logger, int max, string peer);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Peer {Peer} served bytes that failed verification (bad chunk or manifest signature), trust now {Trust:F3}")]
    public static partial void SignatureFailure(ILogger logger, string peer, double trust);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "Peer {Peer} is linked to another peer by copy or collusion evidence: its merge weight is shared and pushes go past it")]
    public static partial void CopyLinked(ILogger logger, string peer);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Validation gate accepted the merged candidate: held-out loss {Current:F5} -> {Candidate:F5} (allowed up to {Allowed:F5})")]
    public static partial void GateAccepted(ILogger logger, double current, double candidate, double allowed);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Validation gate rejected the merged candidate from {Contributors} contributor(s): {Reason}")]
    public static partial void GateRejected(ILogger logger, int contributors, string reason);
}
