using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.NetSim.Simulation;

/// <summary>The gossip engine's surroundings in the simulator: messages go out over <see cref="Network.SimNetwork"/>
/// as real encoded bytes; verified deltas are decoded and offered to the node's round coordinator.</summary>
internal sealed class SimHost(Simulator simulator, SimNode node) : IGossipHost
{
    public void Send(PeerId peer, WireMessage message) => simulator.Transmit(node, peer, message);

    public void Close(PeerId peer, ProtocolErrorCode code, string reason) => simulator.CloseConnection(node, peer, reason);

    public void PeerReady(PeerId peer, HelloMessage hello)
    {
        // Readiness is read from the engine (ReadyPeers) when it matters.
    }

    public void DeltaVerified(StoredDelta delta, PeerId from) => simulator.Delivered(node, delta, from);

    public void DeltaRejected(PeerId from, string? contentIdHex, ProtocolErrorCode code, string reason) =>
        simulator.Rejected(node, from, contentIdHex, code, reason);

    public void ControlMessage(PeerId peer, WireMessage message)
    {
        // PeerList / Pong: membership and failure detection are not simulated (the topology is given).
    }
}
