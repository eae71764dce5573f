using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Membership;

/// <summary>What becomes of a new connection for a peer that already has a session.</summary>
public enum DuplicateOutcome
{
    /// <summary>The established session is healthy and older than a crossed dial: the newcomer is closed (and logged).</summary>
    KeepEstablished,

    /// <summary>The established session has been silent too long: the newcomer replaces it (and it is logged).</summary>
    ReplaceStale,

    /// <summary>Both dialled at once and the established connection wins the tie-break: the newcomer is closed.</summary>
    CrossedKeepEstablished,

    /// <summary>Both dialled at once and the newcomer wins the tie-break: the established connection is closed.</summary>
    CrossedReplace,
}

/// <summary>
/// The one-connection-per-pair rule (SPEC.md §9.8) as pure functions. The tie-break on peer ids resolves two nodes
/// dialling each other at once; without a guard it also let a second node holding a copy of a node's key displace
/// the real node's healthy session at a peer, silently, and then keep it (the real node's redials lost the tie-break).
/// So the tie-break applies only to a session young enough to be one side of a crossed dial; an older session that
/// still receives frames is kept, and an older one gone silent yields to the newcomer (a peer back after a network
/// drop must not wait for the idle time-out).
/// </summary>
public static class DuplicateRule
{
    /// <summary>
    /// A crossed dial's two handshakes both finish within one handshake time-out of each other; a session older than
    /// that is not one side of a crossed dial.
    /// </summary>
    public static TimeSpan CrossedDialWindow(ConnectionOptions options) => options.Handshake.Timeout;

    /// <summary>
    /// Healthy = a frame arrived within half the idle time-out (45 s by default: one and a half of SPEC §7's 30 s
    /// ping periods, so a peer that pings only that often still counts as healthy; FedMesh pings every second).
    /// </summary>
    public static TimeSpan HealthyWithin(ConnectionOptions options) => options.IdleTimeout / 2;

    /// <param name="now">The current time.</param>
    /// <param name="established">When the existing session's handshake completed.</param>
    /// <param name="lastReceived">When the existing session last received a frame.</param>
    /// <param name="existingWins">The existing connection wins the initiator-id tie-break.</param>
    /// <param name="newWins">The new connection wins the initiator-id tie-break.</param>
    /// <param name="options">Connection settings (handshake and idle time-outs).</param>
    public static DuplicateOutcome Decide(DateTimeOffset now, DateTimeOffset established, DateTimeOffset lastReceived, bool existingWins, bool newWins, ConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (now - established > CrossedDialWindow(options))
        {
            return now - lastReceived > HealthyWithin(options) ? DuplicateOutcome.ReplaceStale : DuplicateOutcome.KeepEstablished;
        }

        return newWins && !existingWins ? DuplicateOutcome.CrossedReplace : DuplicateOutcome.CrossedKeepEstablished;
    }

    /// <summary>
    /// A session the other side closed within a crossed-dial window of its handshake: what the losing side of the
    /// duplicate rule sees (a peer that already holds a healthy session for this node's key refuses it).
    /// </summary>
    public static bool ClosedSoonAfterHandshake(DateTimeOffset established, DateTimeOffset now, ConnectionOptions options) =>
        now - established <= CrossedDialWindow(options);
}
