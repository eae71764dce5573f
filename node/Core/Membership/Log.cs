using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Membership;

/// <summary>Membership log messages; event ids 5100–5199 (issue 5, membership part).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Peer book {Path} is unreadable ({Reason}); moved it to {Aside} and starting with an empty book")]
    public static partial void CorruptBook(ILogger logger, string path, string aside, string reason);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Skipping an invalid entry of peer book {Path}: {Reason}")]
    public static partial void BadBookEntry(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Peer book full: evicted {PeerId} ({Failures} consecutive failures)")]
    public static partial void Evicted(ILogger logger, string peerId, int failures);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "PeerList from {Reporter}: ignored {OverCap} over the message cap, rejected {BadIdentity} for identity, {BadAddresses} for addresses, {Capacity} for capacity")]
    public static partial void PexRejected(ILogger logger, string reporter, int overCap, int badIdentity, int badAddresses, int capacity);
}
