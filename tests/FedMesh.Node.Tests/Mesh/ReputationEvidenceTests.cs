using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;
using Xunit;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Issue 16: a merge whose inputs are mostly states pulled in by the distance bound records no distance scores
/// in reputation, because its aggregate is the far states' and scoring by distance to it rewards them.</summary>
public sealed class ReputationEvidenceTests
{
    [Theory]
    [InlineData(0, 1, true)] // nothing heard but the own state
    [InlineData(0, 7, true)]
    [InlineData(1, 2, false)] // own + one far state: half
    [InlineData(2, 5, true)] // near states (own counted) are the majority
    [InlineData(3, 5, false)]
    [InlineData(3, 7, true)]
    [InlineData(4, 7, false)] // issue 16, seed 9, node 8's round-12 merge: own, two honest, four attackers
    [InlineData(4, 8, false)] // exactly half
    public void A_round_is_scored_only_while_the_bounded_states_are_less_than_half_of_the_inputs(int bounded, int inputs, bool scored) =>
        Assert.Equal(scored, ReputationEvidence.ScoresRound(bounded, inputs));

    [Fact]
    public void Counts_outside_a_merge_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReputationEvidence.ScoresRound(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReputationEvidence.ScoresRound(4, 3));
    }

    [Fact]
    public void A_merge_of_mostly_far_states_leaves_the_near_peer_unscored()
    {
        // Own state after training 0.1 per coordinate (change 0.8, automatic bound 8); three far states (50) are pulled in
        // to own + 1 = 1.1, the near peer sits at −0.4 (distance 4, not bounded). Mean of the five: 0.6, so the near peer
        // is 8 from the aggregate and the far ones 4: scored, the near peer would lose trust (ratio 2 > tolerance 1.5).
        var reputation = new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 });
        (RoundReport report, PeerId near, PeerId[] far) = RunRound(reputation, farPeers: 3);

        Assert.Equal(3, report.Bounded);
        Assert.False(reputation.TryGetTrust(near, out _));
        Assert.All(far, p => Assert.False(reputation.TryGetTrust(p, out _)));
        Assert.True(report.ReputationUnscored);
    }

    [Fact]
    public void A_merge_of_mostly_near_states_scores_every_contributor()
    {
        // One far state among own and the near peer: bounded 1 of 3 inputs, so the round is scored as before.
        var reputation = new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 });
        (RoundReport report, PeerId near, PeerId[] far) = RunRound(reputation, farPeers: 1);

        Assert.Equal(1, report.Bounded);
        Assert.False(report.ReputationUnscored);
        Assert.True(reputation.TryGetTrust(near, out _));
        Assert.True(reputation.TryGetTrust(far[0], out _));
    }

    [Fact]
    public void A_scored_merge_observes_nothing_good_of_a_pulled_in_state_and_keeps_the_near_peers_trust()
    {
        // One far state among own and the near peer (bounded 1 of 3: scored). Pulled in to the bound, the far state is
        // about as far from the mean as the near one (distance scores 1 for both), but it observes BoundedScore: its trust
        // falls by the EWMA's step, the near peer's stays.
        var options = ReputationOptions.Default with { InitialTrust = 1 };
        var reputation = new ReputationTracker(options);
        (RoundReport report, PeerId near, PeerId[] far) = RunRound(reputation, farPeers: 1);

        Assert.False(report.ReputationUnscored);
        Assert.Equal(1, reputation.GetTrust(near), 12);
        Assert.Equal(TrustMath.Update(1, ReputationEvidence.BoundedScore, options.Decay), reputation.GetTrust(far[0]), 12);
        Assert.True(reputation.GetTrust(far[0]) < reputation.GetTrust(near));
    }

    [Fact]
    public void Without_pulled_in_inputs_the_history_scores_stand()
    {
        double[] history = [0.2, 1, 0.7];
        Assert.Same(history, ReputationEvidence.ObservationCaps([false, false, false], history));
        Assert.Null(ReputationEvidence.ObservationCaps([false, false], null));
    }

    [Fact]
    public void With_a_pulled_in_input_it_observes_the_bounded_score_and_the_others_history_scores_are_set_aside()
    {
        // Issue 16, byzantine-30 Gaussian noise seed 11: near honest states with history scores 0 (their deviations from an
        // aggregate the pulled-in attackers lean on all point back the same way), attackers at 1.
        IReadOnlyList<double>? caps = ReputationEvidence.ObservationCaps([false, false, true, true], [0, 0, 1, 1]);
        Assert.Equal([1, 1, ReputationEvidence.BoundedScore, ReputationEvidence.BoundedScore], caps);
        Assert.Equal([1.0, ReputationEvidence.BoundedScore], ReputationEvidence.ObservationCaps([false, true], null));
        Assert.Throws<ArgumentException>(() => ReputationEvidence.ObservationCaps([false, true], [1.0]));
    }

    private static (RoundReport Report, PeerId Near, PeerId[] Far) RunRound(ReputationTracker reputation, int farPeers)
    {
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        // Flood mode: every input weighs trust × staleness = 1, own state included (the plain mean).
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, Mode = GossipMode.Flood }, reputation: reputation);
        using Key nearKey = CoordinatorKit.NewKey();
        float[] nearState = Enumerable.Repeat(-0.4f, CoordinatorKit.D).ToArray();
        coordinator.Offer(CoordinatorKit.Stored(nearKey, nearState), nearState);
        var far = new PeerId[farPeers];
        for (int i = 0; i < farPeers; i++)
        {
            using Key key = CoordinatorKit.NewKey();
            float[] state = Enumerable.Repeat(50f, CoordinatorKit.D).ToArray();
            coordinator.Offer(CoordinatorKit.Stored(key, state), state);
            far[i] = Id(key);
        }

        return (coordinator.RunRound(CancellationToken.None), Id(nearKey), far);
    }

    private static PeerId Id(Key key) => PeerId.FromPublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
}
