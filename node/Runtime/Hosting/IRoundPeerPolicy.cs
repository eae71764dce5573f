using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The round loop's single decision about peers: which verified states this node merges. The send side (who hears
/// of this node's release) is the gossip engine's dissemination; a mode that also picks its receivers (issue 16's
/// "neighbours") extends this interface, so both halves of the choice stay in one injectable place that the daemon
/// and the simulator share.
/// </summary>
public interface IRoundPeerPolicy
{
    /// <summary>Called on the round loop just before each round runs, with the peers connected now (in id order):
    /// a mode that merges only its neighbours' states sets them here.</summary>
    void BeforeRound(long round, IReadOnlyList<PeerId> connected);

    /// <summary>Whether the verified state <paramref name="delta"/>, made by <paramref name="origin"/> and received
    /// from <paramref name="from"/>, is offered to the round coordinator. Called on the gossip actor.</summary>
    bool ShouldMerge(StoredDelta delta, PeerId origin, PeerId from);
}

/// <summary>Flood gossip (the daemon's behaviour): every verified state is offered; the coordinator's robust rule,
/// reputation, distance bound and staleness horizon decide what is merged.</summary>
public sealed class FloodPeerPolicy : IRoundPeerPolicy
{
    public static readonly FloodPeerPolicy Instance = new();

    private FloodPeerPolicy()
    {
    }

    public void BeforeRound(long round, IReadOnlyList<PeerId> connected)
    {
        // Flood merges every verified state, whoever is connected.
    }

    public bool ShouldMerge(StoredDelta delta, PeerId origin, PeerId from) => true;
}
