using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>The coordinator's neighbours-mode merge: Metropolis–Hastings weights from the round's degree.</summary>
public class NeighboursMixingTests
{
    private const int D = CoordinatorKit.D;

    private static (float Adopted, RoundReport Report) MergeOnePeer(MeshOptions options, int neighbours)
    {
        // Own change 0.1 per coordinate; one peer at 1.3: the adopted value says what weight the own state had.
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(learner, options with { PrivacyEnabled = false, PeerDistanceBound = 1e6 });
        coordinator.Neighbours = neighbours;
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(1.3f, D).ToArray();
        Assert.Null(coordinator.Offer(CoordinatorKit.Stored(peer, state), state));
        RoundReport report = coordinator.RunRound(CancellationToken.None);
        return (learner.GetAdapter()[0], report);
    }

    [Fact]
    public void One_state_from_a_node_that_sends_to_three_peers_gets_the_Metropolis_Hastings_quarter()
    {
        (float adopted, RoundReport report) = MergeOnePeer(MeshOptions.Default with { Mode = GossipMode.Neighbours, MixingDegree = 3 }, neighbours: 5);

        Assert.Equal(1, report.Merged);
        // w_ij = 1 / (1 + 3): 0.75 × 0.1 + 0.25 × 1.3 = 0.4.
        Assert.Equal(0.4f, adopted, 1e-4f);
    }

    [Fact]
    public void With_a_single_connected_peer_the_out_degree_is_one_and_the_mix_is_even()
    {
        (float adopted, _) = MergeOnePeer(MeshOptions.Default with { Mode = GossipMode.Neighbours, MixingDegree = 3 }, neighbours: 1);

        Assert.Equal(0.7f, adopted, 1e-4f);
    }

    [Fact]
    public void Flood_mode_weighs_every_origin_like_the_own_state()
    {
        (float adopted, _) = MergeOnePeer(MeshOptions.Default with { Mode = GossipMode.Flood, MixingDegree = 3 }, neighbours: 5);

        Assert.Equal(0.7f, adopted, 1e-4f);
    }
}
