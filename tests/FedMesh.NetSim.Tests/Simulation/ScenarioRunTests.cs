using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.Node.Merge;
using FedMesh.Node.Reputation;

namespace FedMesh.NetSim.Tests.Simulation;

public sealed class ScenarioRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netsim-run-").FullName;

    [Fact]
    public void Sign_flip_attackers_break_the_plain_mean_but_not_the_geometric_median()
    {
        Scenario attacked = Attacked();

        double clean = FinalDistance(attacked with { Byzantine = new ByzantineSpec() }, "clean");
        double median = FinalDistance(attacked with { Rule = AggregationRule.GeometricMedian }, "gm");
        double mean = FinalDistance(attacked with { Rule = AggregationRule.Mean }, "mean");

        Assert.True(median < 4 * clean, $"geometric median {median} vs clean {clean}");
        Assert.True(mean > 10 * median, $"mean {mean} vs geometric median {median}");
    }

    [Fact]
    public void Absent_attackers_never_start_and_with_reputation_the_geometric_median_matches_the_honest_nodes_alone()
    {
        Scenario scenario = Attacked() with { Rule = AggregationRule.GeometricMedian, Reputation = ReputationOptions.Default };
        double alone = FinalDistance(scenario with { Byzantine = scenario.Byzantine with { Absent = true } }, "alone", out SimulationResult result);
        double trusted = FinalDistance(scenario, "gm-trust");
        double neutral = FinalDistance(scenario with { Reputation = Scenario.NeutralTrust }, "gm-neutral");

        Assert.Equal(3, result.Records.Where(r => r.Byzantine).Select(r => r.Node).Distinct().Count());
        Assert.All(result.Records.Where(r => r.Byzantine), r => Assert.False(r.Up));
        Assert.All(result.Summaries, s => Assert.Equal(7, s.HonestUp));
        // Reputation shuts the sign-flippers out: the honest nodes end where they would without them. The rule alone
        // (trust-neutral) still leans towards the 30% of flipped states.
        Assert.True(Math.Abs(trusted - alone) <= 0.05 * alone, $"geometric median with reputation {trusted} vs honest nodes alone {alone}");
        Assert.True(neutral > 1.5 * alone, $"geometric median without reputation {neutral} vs honest nodes alone {alone}");
    }

    [Fact]
    public void Colluding_alie_senders_are_caught_by_their_deviation_history()
    {
        // ALIE stays inside the honest spread (no distance test fires) and its copies drag the geometric median;
        // the collusion score on the deviation histories shuts them out (node/Reputation/CollusionMath.cs).
        Scenario scenario = ScenarioLoader.Parse(
            """
            nodes = 10
            rounds = 25
            seed = 21
            [learner]
            dimension = 32
            [merge]
            rule = "geometric_median"
            validation_gate = false
            [byzantine]
            fraction = 0.3
            attack = "alie"
            """,
            "alie.toml");
        double alone = FinalDistance(scenario with { Byzantine = scenario.Byzantine with { Absent = true } }, "alie-alone");
        double history = FinalDistance(scenario, "alie-history");
        double distanceOnly = FinalDistance(scenario with { Reputation = ReputationOptions.Default with { ScoreCollusion = false } }, "alie-distance");

        Assert.True(Math.Abs(history - alone) <= 0.05 * alone, $"with the history score {history} vs honest nodes alone {alone}");
        Assert.True(distanceOnly > 1.2 * alone, $"distance-only reputation {distanceOnly} vs honest nodes alone {alone}");
    }

    [Fact]
    public void A_late_joiner_is_absent_until_its_join_round_and_then_catches_up()
    {
        Scenario scenario = ScenarioLoader.Parse(
            """
            nodes = 5
            rounds = 8
            [learner]
            dimension = 8
            [[events]]
            round = 4
            kind = "join"
            nodes = [4]
            """,
            "join.toml");
        using var sim = new Simulator(scenario, Path.Combine(_root, "join"));
        SimulationResult result = sim.Run();

        NodeRoundRecord[] late = result.Records.Where(r => r.Node == 4).OrderBy(r => r.Round).ToArray();
        Assert.All(late.Where(r => r.Round < 4), r => Assert.False(r.Up));
        Assert.All(late.Where(r => r.Round >= 4), r => Assert.True(r.Up));
        Assert.Equal(4, late[^1].Peers);
        Assert.True(late[^1].DistanceToOptimum < 0.2 * late[2].DistanceToOptimum, $"{late[2].DistanceToOptimum} -> {late[^1].DistanceToOptimum}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>fp32: these tests compare merge rules and reputation; int8 rounding of a d = 8 state moves a 12-round
    /// run's end point by up to 15% either way (measured), more than the differences they check.</summary>
    private static Scenario Attacked() => ScenarioLoader.Parse(
        """
        nodes = 10
        rounds = 12
        seed = 21
        [gossip]
        encoding = "fp32"
        [learner]
        dimension = 8
        [merge]
        validation_gate = false
        reputation = false
        [byzantine]
        fraction = 0.3
        attack = "sign_flip"
        """,
        "byz.toml");

    private double FinalDistance(Scenario scenario, string name) => FinalDistance(scenario, name, out _);

    private double FinalDistance(Scenario scenario, string name, out SimulationResult result)
    {
        using var sim = new Simulator(scenario, Path.Combine(_root, name));
        result = sim.Run();
        return result.Summaries[^1].MeanDistanceToOptimum;
    }
}
