using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Membership;

/// <summary>What becomes of a new connection for a peer that already has a session.</summary>
public enum DuplicateOutcome
{
    /// <summary>The established session is healthy and older than a crossed dial: the newcomer is closed (and logged).</summary>
    KeepEstablished,

    /// <summary>The established session has been silent too long: the newcomer replaces it (and it is logged).</summary>
    ReplaceStale,

    /// <summary>Both dialled at once (or one side dialled two of the other's addresses at once) and the established
    /// connection wins the tie-break (<see cref="DuplicateRule.Precedes"/>): the newcomer is closed.</summary>
    CrossedKeepEstablished,

    /// <summary>Both dialled at once (or one side dialled two of the other's addresses at once) and the newcomer wins
    /// the tie-break (<see cref="DuplicateRule.Precedes"/>): the established connection is closed.</summary>
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
    /// <summary>The reason of the Bye(<c>Shutdown</c>) that closes the connection this rule does not keep (SPEC.md §9.8);
    /// a peer that receives it knows the other side keeps another session for its key.</summary>
    public const string ByeReason = "duplicate connection";

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
    /// <param name="newPrecedes">The new connection wins the tie-break over the existing one (<see cref="Precedes"/>).</param>
    /// <param name="options">Connection settings (handshake and idle time-outs).</param>
    public static DuplicateOutcome Decide(DateTimeOffset now, DateTimeOffset established, DateTimeOffset lastReceived, bool newPrecedes, ConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (now - established > CrossedDialWindow(options))
        {
            return now - lastReceived > HealthyWithin(options) ? DuplicateOutcome.ReplaceStale : DuplicateOutcome.KeepEstablished;
        }

        return newPrecedes ? DuplicateOutcome.CrossedReplace : DuplicateOutcome.CrossedKeepEstablished;
    }

    /// <summary>
    /// The tie-break between two young connections of the same pair of nodes (SPEC.md §9.8): whether connection a
    /// survives over connection b. Both ends must pick the same connection without a message, whatever order their
    /// handshakes finished in, so the rule reads only what both ends know alike: the connection whose initiator has
    /// the smaller peer id wins; between two with the same initiator (it dialled two addresses of the other at once:
    /// a seed and mDNS, or several mDNS addresses) the one with the smaller transcript hash h4 (SPEC.md §3.2,
    /// identical on both ends, unique per connection) wins. Keeping whichever finished first instead made each end
    /// keep a different connection when the two handshakes finished in opposite orders at the two ends, and each then
    /// closed the one the other kept: both lost their only session and warned of a copied key. Equal hashes (the
    /// simulator's channel has none, all zeros) decide nothing: the established connection stays.
    /// </summary>
    /// <param name="aInitiatorSmaller">Connection a was initiated by the node with the smaller peer id.</param>
    /// <param name="aTranscript">Connection a's transcript hash.</param>
    /// <param name="bInitiatorSmaller">Connection b was initiated by the node with the smaller peer id.</param>
    /// <param name="bTranscript">Connection b's transcript hash.</param>
    public static bool Precedes(bool aInitiatorSmaller, ReadOnlySpan<byte> aTranscript, bool bInitiatorSmaller, ReadOnlySpan<byte> bTranscript) =>
        aInitiatorSmaller != bInitiatorSmaller ? aInitiatorSmaller : aTranscript.SequenceCompareTo(bTranscript) < 0;

    /// <summary>
    /// A session the other side closed within a crossed-dial window of its handshake: what the losing side of the
    /// duplicate rule sees, both when a peer that already holds a healthy session for this node's key refuses it and
    /// when the session lost a crossed dial (the winner's handshake may finish here only after the loser's Bye, and
    /// finishes within one <see cref="CrossedDialWindow"/> of it).
    /// </summary>
    public static bool ClosedSoonAfterHandshake(DateTimeOffset established, DateTimeOffset now, ConnectionOptions options) =>
        now - established <= CrossedDialWindow(options);
}
