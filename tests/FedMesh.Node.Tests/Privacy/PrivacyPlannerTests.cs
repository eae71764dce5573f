using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Tests.Privacy;

public sealed class PrivacyPlannerTests
{
    [Theory]
    [InlineData(8.0, 1e-5, 1_000, 8, 20, 100)]
    [InlineData(8.0, 1e-5, 5_000, 64, 20, 15)]
    [InlineData(1.0, 0.0, 20_000, 32, 10, 200)]
    [InlineData(4.0, 1e-6, 100_000, 256, 5, 1_000)]
    public void Planned_sigma_is_the_smallest_on_the_grid_that_fits_the_budget(double epsilon, double delta, int n, int batch, int steps, long rounds)
    {
        PrivacyPlan plan = PrivacyPlanner.Plan(new PrivacyPlanRequest(epsilon, delta, n, batch, steps, rounds));

        double q = (double)batch / n;
        double d = delta > 0 ? delta : Math.Min(1e-5, 1.0 / n);
        Assert.Equal(q, plan.SamplingRate, 12);
        Assert.Equal(d, plan.Delta);
        Assert.Equal(steps * rounds, plan.TotalSteps);
        Assert.True(PrivacyPlanner.EpsilonAt(q, plan.NoiseMultiplier, steps * rounds, d) <= epsilon);
        Assert.True(PrivacyPlanner.EpsilonAt(q, plan.NoiseMultiplier - PrivacyPlanner.Step, steps * rounds, d) > epsilon,
            $"σ − {PrivacyPlanner.Step} = {plan.NoiseMultiplier - PrivacyPlanner.Step} also fits: the plan is not the smallest σ");
        Assert.Equal(rounds, plan.EpsilonAfterRound.Count);
        Assert.True(plan.EpsilonAfterRound.Zip(plan.EpsilonAfterRound.Skip(1)).All(p => p.First <= p.Second), "ε grows with rounds");
        Assert.Equal(plan.Epsilon, plan.EpsilonAfterRound[^1]);
        Assert.True(plan.Epsilon <= epsilon);
    }

    [Fact]
    public void A_generous_budget_plans_the_ledgers_floor_sigma()
    {
        PrivacyPlan plan = PrivacyPlanner.Plan(new PrivacyPlanRequest(1000, 1e-5, 100_000, 1, 1, 1));
        Assert.Equal(PrivacyPlanner.MinNoiseMultiplier, plan.NoiseMultiplier);
    }

    [Fact]
    public void An_unreachable_budget_is_refused_with_a_reason()
    {
        var ex = Assert.Throws<ArgumentException>(() => PrivacyPlanner.Plan(new PrivacyPlanRequest(1e-6, 1e-5, 10, 10, 1000, 100_000)));
        Assert.Contains("no σ up to", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1e-5, 10, 1, 1, 1, "--epsilon")]
    [InlineData(8, 1.5, 10, 1, 1, 1, "--delta")]
    [InlineData(8, 1e-5, 0, 1, 1, 1, "--records")]
    [InlineData(8, 1e-5, 10, 0, 1, 1, "--batch")]
    [InlineData(8, 1e-5, 10, 1, 0, 1, "--steps")]
    [InlineData(8, 1e-5, 10, 1, 1, 0, "--rounds")]
    public void Bad_requests_name_the_flag(double epsilon, double delta, int n, int batch, int steps, long rounds, string flag)
    {
        Assert.StartsWith(flag, new PrivacyPlanRequest(epsilon, delta, n, batch, steps, rounds).Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Default_delta_is_min_of_1e5_and_one_over_n()
    {
        Assert.Equal(1e-5, PrivacyPlanner.DefaultDelta(1_000));
        Assert.Equal(1e-6, PrivacyPlanner.DefaultDelta(1_000_000));
    }

    [Fact]
    public void Rounds_within_budget_matches_the_accountant()
    {
        const double Q = 0.01, Sigma = 0.8, Delta = 1e-5;
        long rounds = PrivacyPlanner.RoundsWithin(8, Delta, Q, Sigma, 20, 100_000);
        Assert.True(PrivacyPlanner.EpsilonAt(Q, Sigma, 20 * rounds, Delta) <= 8);
        Assert.True(PrivacyPlanner.EpsilonAt(Q, Sigma, 20 * (rounds + 1), Delta) > 8);
    }

    [Fact]
    public void The_node_default_is_record_level_with_a_planned_sigma_that_lasts_the_planned_run()
    {
        // What `fedmesh init` writes (noise_multiplier = 0: planned at start) on a node with 2,000 documents.
        PrivacySection defaults = PrivacySection.Default;
        NodePrivacy p = NodePrivacy.Resolve(defaults, records: 2_000, batch: LearningSection.Default.BatchSize, stepsPerRound: GossipSection.Default.LocalSteps);

        Assert.Equal(PrivacyLevel.Record, p.Level);
        Assert.True(p.PlannedSigma);
        Assert.NotNull(p.DpSgd);
        Assert.Equal((double)LearningSection.Default.BatchSize / 2_000, p.Ledger!.SamplingRate, 12);
        Assert.Equal(GossipSection.Default.LocalSteps, p.Ledger.StepsPerRelease);
        Assert.Equal(1e-5, p.Ledger.BudgetDelta);
        Assert.True(p.RoundsWithinBudget >= defaults.PlannedRounds, $"budget lasts {p.RoundsWithinBudget} of {defaults.PlannedRounds} planned rounds");
    }

    [Fact]
    public void Node_and_off_levels_resolve_to_their_mechanisms()
    {
        NodePrivacy node = NodePrivacy.Resolve(PrivacySection.Default with { Level = "node", NoiseMultiplier = 1.0 }, 500, 8, 20);
        Assert.Equal(PrivacyLevel.Node, node.Level);
        Assert.Null(node.DpSgd);
        Assert.Equal(1.0, node.Ledger!.SamplingRate);
        Assert.Equal(1, node.Ledger.StepsPerRelease);

        NodePrivacy off = NodePrivacy.Resolve(PrivacySection.Default with { Level = "off" }, 500, 8, 20);
        Assert.Null(off.Ledger);
        Assert.Null(off.DpSgd);
    }
}
