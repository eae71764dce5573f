using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>Daemon log messages; event ids 6000–6099 (Hosting).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Node {PeerId} listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string peerId, string endPoint);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Admin endpoint on {Prefix}")]
    public static partial void AdminListening(ILogger logger, string prefix);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Dial {Address} failed: {Reason} ({Suppressed} failures of this address not logged since the last line)")]
    public static partial void DialFailed(ILogger logger, string address, string reason, int suppressed);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Handshake with {Address} rejected: {Reason} ({Suppressed} refusals of this address not logged since the last line)")]
    public static partial void HandshakeRejected(ILogger logger, string address, string reason, int suppressed);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Peer {PeerId} connected ({Address}, {Direction})")]
    public static partial void PeerConnected(ILogger logger, string peerId, string address, string direction);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Peer {PeerId} disconnected: {Reason}")]
    public static partial void PeerDisconnected(ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Peer {PeerId} sent a malformed message: {Reason}")]
    public static partial void BadMessage(ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Peer {PeerId} is not reading; dropping it")]
    public static partial void PeerOverloaded(ILogger logger, string peerId);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning, Message = "Closing peer {PeerId}: {Code} {Reason}")]
    public static partial void PeerClosed(ILogger logger, string peerId, string code, string reason);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Peer {PeerId} ready ({Software})")]
    public static partial void PeerReady(ILogger logger, string peerId, string software);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Delta {ContentId} from {PeerId} rejected: {Code} {Reason}")]
    public static partial void DeltaRejected(ILogger logger, string peerId, string contentId, string code, string reason);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Round {Round}: train loss {Loss:F4}, held-out bpc {Bpc:F4}, merged {Merged}, adopted {Adopted}")]
    public static partial void RoundDone(ILogger logger, long round, double loss, double bpc, int merged, bool adopted);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Round {Round}: nothing released: {Reason}")]
    public static partial void NotReleased(ILogger logger, long round, string reason);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "Gossip action failed")]
    public static partial void ActorFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Gossip action dropped: {Reason}")]
    public static partial void ActorDropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Shutdown slower than expected: {Reason}")]
    public static partial void ShutdownSlow(ILogger logger, string reason);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Warning, Message = "mDNS unavailable, using seeds and peer exchange only: {Reason}")]
    public static partial void MdnsUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Warning, Message = "Dialled {Address} expecting {Expected} but reached {Actual}")]
    public static partial void UnexpectedPeer(ILogger logger, string address, string expected, string actual);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "Checkpoint {Path} skipped: {Reason}")]
    public static partial void CheckpointSkipped(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Could not save the peer book to {Path}: {Reason}")]
    public static partial void PeerBookSaveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Information, Message = "Metrics endpoint on {Prefix}")]
    public static partial void MetricsListening(ILogger logger, string prefix);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Debug, Message = "Round {Round}: reputation not scored: {Bounded} merged state(s) farther than the distance bound were at least half of the merge's inputs")]
    public static partial void ReputationUnscored(ILogger logger, long round, int bounded);

    // 6050–6059: round robustness and supervision (issue 11).
    [LoggerMessage(EventId = 6050, Level = LogLevel.Critical, Message = "The {Loop} loop failed, stopping the node: {Reason}")]
    public static partial void LoopFailed(ILogger logger, string loop, string reason, Exception exception);

    [LoggerMessage(EventId = 6052, Level = LogLevel.Information, Message = "Peer {PeerId} reports an error: {Code} {Text}")]
    public static partial void PeerReportedError(ILogger logger, string peerId, string code, string text);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Warning, Message = "Delta {ContentId} from origin {Origin} not merged: {Reason}")]
    public static partial void OfferRefused(ILogger logger, string contentId, string origin, string reason);

    // 6060–6069: connection admission and duplicate sessions (kept apart from the ids above so parallel work on the
    // runtime does not hand out the same ids twice).
    [LoggerMessage(EventId = 6060, Level = LogLevel.Warning, Message = "Refused a connection from {Address}: {Reason} ({Suppressed} refusals of this address not logged since the last line)")]
    public static partial void ConnectionRefused(ILogger logger, string address, string reason, int suppressed);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Warning, Message = "Peer {PeerId} connected again from {NewAddress} while its session from {EstablishedAddress} is healthy; kept the established session and closed the new one (is another node using a copy of that peer's key?) ({Suppressed} repeats not logged)")]
    public static partial void DuplicateRefused(ILogger logger, string peerId, string newAddress, string establishedAddress, int suppressed);

    [LoggerMessage(EventId = 6062, Level = LogLevel.Warning, Message = "Peer {PeerId}: its session from {StaleAddress} had gone silent; replaced by a new connection from {NewAddress}")]
    public static partial void StaleSessionReplaced(ILogger logger, string peerId, string staleAddress, string newAddress);

    [LoggerMessage(EventId = 6063, Level = LogLevel.Warning, Message = "Peer {PeerId} at {Address} closed the connection right after the handshake as a duplicate, and no session to it followed within {WindowSeconds} s: that peer keeps its session for this node's key with another node. Is another node using a copy of this node's key? ({Suppressed} repeats not logged)")]
    public static partial void ClosedRightAfterHandshake(ILogger logger, string peerId, string address, double windowSeconds, int suppressed);

    [LoggerMessage(EventId = 6065, Level = LogLevel.Information, Message = "Refused peer {PeerId}: inbound session cap ({Cap}) reached; sent it this node's peer list and Bye(Overloaded)")]
    public static partial void InboundRefused(ILogger logger, string peerId, int cap);

    [LoggerMessage(EventId = 6066, Level = LogLevel.Information, Message = "Peer {PeerId} refused the session (Bye Overloaded: over its inbound cap or this node reads too slowly); dialling others, it is held off for a while")]
    public static partial void RefusedByPeer(ILogger logger, string peerId);

    [LoggerMessage(EventId = 6076, Level = LogLevel.Debug, Message = "Exploring: shuffling with {PeerId}, a known peer outside the view (joins overlays whose views forgot each other)")]
    public static partial void Exploring(ILogger logger, string peerId);

    /// <summary>
    /// Overlay upkeep, not a fault: a session that stayed outside the peer-sampling view past its grace is closed so the
    /// node's degree stays bounded (32 daemons over 40 rounds closed ~1,500 of them; as warnings they buried real ones).
    /// Faults and closes under attack stay on <see cref="PeerClosed"/>.
    /// </summary>
    [LoggerMessage(EventId = 6077, Level = LogLevel.Information, Message = "Closing peer {PeerId}: {Code} {Reason}")]
    public static partial void PeerClosedOutOfView(ILogger logger, string peerId, string code, string reason);

    [LoggerMessage(EventId = 6064, Level = LogLevel.Warning, Message = "Could not write the bound endpoints to {Path}: {Reason}")]
    public static partial void EndpointsNotWritten(ILogger logger, string path, string reason);
}
