using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;
using Xunit;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>
/// A state's age in rounds uses the node's measured round interval when rounds overrun the nominal period, so a slow
/// machine does not make every peer state look stale.
/// </summary>
public sealed class RoundUnitTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(6);

    [Fact]
    public void Round_unit_is_the_period_until_rounds_run_slower_then_follows_them_up_to_the_cap()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        RoundCoordinator c = CoordinatorKit.NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false, RoundPeriod = Period, Mode = GossipMode.Flood }, time);

        c.RunRound(CancellationToken.None);
        Assert.Equal(Period, c.RoundUnit);
        time.Advance(TimeSpan.FromSeconds(4)); // faster than the period: the period stays the unit
        c.RunRound(CancellationToken.None);
        Assert.Equal(Period, c.RoundUnit);
        for (int i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromSeconds(35));
            c.RunRound(CancellationToken.None);
        }

        Assert.InRange(c.RoundUnit.TotalSeconds, 34, 35.001);
        for (int i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromHours(1));
            c.RunRound(CancellationToken.None);
        }

        Assert.Equal(Period * RoundCoordinator.MaxRoundUnitPeriods, c.RoundUnit);
    }

    [Fact]
    public void A_peer_state_from_the_previous_slow_round_is_merged_at_full_weight_not_dropped_as_stale()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator c = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, RoundPeriod = Period, PeerDistanceBound = 1e6, Mode = GossipMode.Flood }, time);
        for (int i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(35));
            c.RunRound(CancellationToken.None);
        }

        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(1f, CoordinatorKit.D).ToArray();
        // Made 30 s before our next round: 5 nominal periods old, but less than one of our (35 s) rounds.
        c.Offer(CoordinatorKit.Stored(peer, state, time.GetUtcNow().AddSeconds(5)), state);
        time.Advance(TimeSpan.FromSeconds(35));

        RoundReport report = c.RunRound(CancellationToken.None);

        Assert.Equal(1, report.Merged);
        // Age 0 → weight 1: the mean of own (0) and the peer (1) is 0.5. In nominal periods (age 5, γ = 0.5) it
        // would have had weight 1/32 and moved the node by only ≈ 0.03.
        Assert.All(learner.GetAdapter(), v => Assert.Equal(0.5f, v, 1e-4f));
    }
}
