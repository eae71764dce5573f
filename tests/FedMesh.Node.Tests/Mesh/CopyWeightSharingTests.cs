using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>
/// The merge's copy evidence (<see cref="ReputationOptions.ShareCopyWeight"/>): inputs that are near-copies of each
/// other share one weight, and reputation then passes their origins over in push targeting.
/// </summary>
public class CopyWeightSharingTests
{
    private const int D = CoordinatorKit.D;

    /// <summary>
    /// Own state 0.1 (one step of 0.1 from 0); three honest peers at 0, 0.5 and 1; two colluders sending the same state
    /// at 2 (one round apart from the others at most: they are dated now). Mean rule, flood mode: every input weight 1.
    /// </summary>
    private static (float Adopted, ReputationTracker Reputation, PeerId[] Colluders, PeerId[] Honest) MergeWithCopies(bool share, double exponent = 2)
    {
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        var reputation = new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1, ShareCopyWeight = share, CopyShareExponent = exponent });
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { Mode = GossipMode.Flood, PrivacyEnabled = false, PeerDistanceBound = 1e6 }, reputation: reputation);
        var honest = new List<PeerId>();
        var colluders = new List<PeerId>();
        foreach ((float value, bool colluder) in new[] { (0f, false), (0.5f, false), (1f, false), (2f, true), (2f, true) })
        {
            using Key key = CoordinatorKit.NewKey();
            float[] state = Enumerable.Repeat(value, D).ToArray();
            Assert.Null(coordinator.Offer(CoordinatorKit.Stored(key, state), state));
            (colluder ? colluders : honest).Add(PeerId.FromPublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        }

        RoundReport report = coordinator.RunRound(CancellationToken.None);
        Assert.Equal(5, report.Merged);
        return (learner.GetAdapter()[0], reputation, [.. colluders], [.. honest]);
    }

    [Fact]
    public void Two_copies_weigh_as_half_an_input_by_default()
    {
        (float adopted, _, _, _) = MergeWithCopies(share: true);

        // Own 1 + honest 1, 1, 1 + colluders (1 + 1)^-2 = 1/4 each: (0.1 + 0 + 0.5 + 1 + 2/4 + 2/4) / 4.5.
        Assert.Equal(2.6f / 4.5f, adopted, 1e-4f);
    }

    [Fact]
    public void Two_copies_weigh_as_one_input_at_exponent_one()
    {
        (float adopted, _, _, _) = MergeWithCopies(share: true, exponent: 1);

        // Own 1 + honest 1, 1, 1 + colluders 1/2 each: (0.1 + 0 + 0.5 + 1 + 2/2 + 2/2) / 5 = 0.72.
        Assert.Equal(0.72f, adopted, 1e-4f);
    }

    [Fact]
    public void Without_the_option_each_copy_weighs_as_a_full_input()
    {
        (float adopted, ReputationTracker reputation, PeerId[] colluders, _) = MergeWithCopies(share: false);

        // (0.1 + 0 + 0.5 + 1 + 2 + 2) / 6.
        Assert.Equal(5.6f / 6, adopted, 1e-4f);
        Assert.False(reputation.PassedOverInFanout(colluders[0]));
    }

    [Fact]
    public void Copies_are_passed_over_in_push_targeting_and_honest_peers_are_not()
    {
        (_, ReputationTracker reputation, PeerId[] colluders, PeerId[] honest) = MergeWithCopies(share: true);

        Assert.All(colluders, c => Assert.True(reputation.PassedOverInFanout(c)));
        Assert.All(honest, h => Assert.False(reputation.PassedOverInFanout(h)));
    }
}
