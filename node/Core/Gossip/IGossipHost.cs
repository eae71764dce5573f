using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Gossip;

/// <summary>
/// What the gossip engine needs from its surroundings. The daemon implements it over secure TCP connections;
/// netsim implements it over simulated links on virtual time. Calls come from the engine's single caller thread.
/// </summary>
public interface IGossipHost
{
    /// <summary>Queues <paramref name="message"/> for <paramref name="peer"/>; must not block.</summary>
    void Send(PeerId peer, WireMessage message);

    /// <summary>Ends the connection to <paramref name="peer"/> with a reason (sent as Bye where possible).</summary>
    void Close(PeerId peer, ProtocolErrorCode code, string reason);

    /// <summary>A peer's Hello was accepted: it shares this mesh, base model and adapter schema.</summary>
    void PeerReady(PeerId peer, HelloMessage hello);

    /// <summary>A delta arrived complete and verified (signature, every chunk hash, freshness).</summary>
    void DeltaVerified(StoredDelta delta, PeerId from);

    /// <summary>A delta (or a peer's part in one) was refused; <paramref name="contentIdHex"/> is null when unknown.</summary>
    void DeltaRejected(PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason);

    /// <summary>Messages the engine does not handle itself (PeerList, Pong, and Error, which reports a failed request and
    /// keeps the connection, SPEC.md §4.9), for membership, failure detection and logging.</summary>
    void ControlMessage(PeerId peer, WireMessage message);
}
