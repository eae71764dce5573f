using System.Numerics.Tensors;
using FedMesh.Node.Gossip;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using NSec.Cryptography;
using Xunit;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>merge.norm_bound: a peer state far from this node's own is pulled in before it enters the merge.</summary>
public sealed class PeerDistanceBoundTests
{
    private const int D = CoordinatorKit.D;

    [Fact]
    public void BoundDistance_pulls_a_far_state_onto_the_sphere_around_the_center()
    {
        float[] center = Enumerable.Range(0, D).Select(i => i * 0.01f).ToArray();
        float[] state = center.Select((c, i) => c + (i % 2 == 0 ? 3f : -1f)).ToArray();
        float[] direction = state.Zip(center, (s, c) => s - c).ToArray();
        double before = TensorPrimitives.Distance(center, state);

        float scale = NormBounding.BoundDistance(center, state, 4.0);

        Assert.Equal(4.0 / before, scale, 1e-6);
        Assert.Equal(4.0, TensorPrimitives.Distance(center, state), 1e-4);
        // Same direction: only the length of (state − center) changed.
        float[] after = state.Zip(center, (s, c) => s - c).ToArray();
        Assert.Equal(1.0, TensorPrimitives.CosineSimilarity(direction, after), 1e-6);
    }

    [Fact]
    public void BoundDistance_leaves_a_near_state_and_a_zero_bound_alone()
    {
        float[] center = new float[D];
        float[] near = Enumerable.Repeat(0.1f, D).ToArray();
        float[] copy = (float[])near.Clone();

        Assert.Equal(1f, NormBounding.BoundDistance(center, near, 10));
        Assert.Equal(copy, near);
        float[] far = Enumerable.Repeat(100f, D).ToArray();
        Assert.Equal(1f, NormBounding.BoundDistance(center, far, 0));
        Assert.All(far, v => Assert.Equal(100f, v));
    }

    [Fact]
    public void A_scaled_peer_state_is_pulled_in_to_ten_times_the_own_change_and_the_decision_says_so()
    {
        // Own change per round: 0.1 in every coordinate → ‖u‖ = 0.8; automatic bound 10 × 0.8 = 8.
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false, Mode = GossipMode.Flood });
        using Key peer = CoordinatorKit.NewKey();
        float[] far = Enumerable.Repeat(50f, D).ToArray();
        coordinator.Offer(CoordinatorKit.Stored(peer, far), far);

        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(1, report.Merged);
        Assert.Equal(1, report.Bounded);
        Assert.Contains(report.Decisions, d => d.Merged && d.Reason.Contains("pulled in", StringComparison.Ordinal));
        // Mean of own (0.1 …) and the bounded peer (own + 8 along (1, …, 1)/√64 = +1 per coordinate): 0.1 + 0.5.
        float[] adopted = learner.GetAdapter();
        Assert.All(adopted, v => Assert.Equal(0.6f, v, 1e-4f));
    }

    [Fact]
    public void An_absolute_bound_applies_as_given_and_a_near_peer_is_merged_untouched()
    {
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false, PeerDistanceBound = 1e6, Mode = GossipMode.Flood });
        using Key peer = CoordinatorKit.NewKey();
        float[] far = Enumerable.Repeat(50f, D).ToArray();
        coordinator.Offer(CoordinatorKit.Stored(peer, far), far);

        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(0, report.Bounded);
        Assert.All(learner.GetAdapter(), v => Assert.Equal(25.05f, v, 1e-3f));
    }
}
