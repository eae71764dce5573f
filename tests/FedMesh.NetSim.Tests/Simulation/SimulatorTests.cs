using FedMesh.NetSim.Output;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.Node.Privacy;

namespace FedMesh.NetSim.Tests.Simulation;

public sealed class SimulatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netsim-test-").FullName;

    /// <summary>Small but complete: privacy with ledgers, a crash/restart, churn, loss and jitter.</summary>
    private static Scenario Small(ulong seed) => ScenarioLoader.Parse(
        """
        nodes = 6
        rounds = 6
        seed = 3
        [topology]
        kind = "random_regular"
        degree = 3
        [links]
        loss = 0.02
        jitter_ms = 5.0
        [learner]
        dimension = 16
        local_steps = 5
        [privacy]
        enabled = true
        noise_multiplier = 4.0
        [churn]
        rate = 0.1
        downtime_rounds = 1
        [[events]]
        round = 3
        kind = "crash"
        nodes = [2]
        [[events]]
        round = 5
        kind = "restart"
        nodes = [2]
        """,
        "small.toml") with { Seed = seed };

    [Fact]
    public void Same_scenario_and_seed_give_byte_identical_outputs()
    {
        string first = RunAndDigest(Small(11), "a");
        string second = RunAndDigest(Small(11), "b");
        string otherSeed = RunAndDigest(Small(12), "c");

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void A_partition_blocks_delivery_and_severs_its_connections_and_heal_brings_each_side_the_others_newest_states_at_once()
    {
        // Flood mode: catch-up on Hello and relay are what carries a state across a healed partition.
        var scenario = new Scenario { Nodes = 4, Rounds = 1, Gossip = new GossipSpec { Mode = Node.Gossip.GossipMode.Flood }, Learner = new LearnerSpec { Surrogate = Node.Learning.Surrogate.SurrogateOptions.Default with { Dimension = 8 } } };
        using var sim = new Simulator(scenario, Path.Combine(_root, "p"));
        var got = new List<(int Node, string Id)>();
        sim.DeltaReached = (node, delta, _) => got.Add((node, delta.ContentIdHex));
        sim.Start();
        sim.Clock.RunUntil(TimeSpan.FromSeconds(1));
        Assert.All(sim.Nodes, n => Assert.Equal(3, n.Engine!.ReadyPeers.Count()));

        sim.Apply(new ScenarioEvent { Kind = ScenarioEventKind.Partition, Round = 1, Groups = [new("a", [0, 1]), new("b", [2, 3])] });
        Assert.Equal([sim.Nodes[1].PeerId], sim.Nodes[0].Engine!.ReadyPeers);
        string during = sim.PublishState(0, new float[8]).ContentIdHex;
        // Away from the anti-entropy ticks (every 30 s), so only the heal itself can carry the state across.
        sim.Clock.RunUntil(TimeSpan.FromSeconds(35));
        Assert.Equal([1], got.Where(g => g.Id == during).Select(g => g.Node).Order());

        sim.Apply(new ScenarioEvent { Kind = ScenarioEventKind.Heal, Round = 1 });
        sim.Clock.RunUntil(TimeSpan.FromSeconds(36));
        Assert.Equal([1, 2, 3], got.Where(g => g.Id == during).Select(g => g.Node).Order());
        Assert.All(sim.Nodes, n => Assert.Equal(3, n.Engine!.ReadyPeers.Count()));

        string after = sim.PublishState(0, Enumerable.Repeat(1f, 8).ToArray()).ContentIdHex;
        sim.Clock.RunUntil(TimeSpan.FromSeconds(60));
        Assert.Equal([1, 2, 3], got.Where(g => g.Id == after).Select(g => g.Node).Order());
    }

    [Fact]
    public void A_crashed_node_restarts_with_its_own_adapter_sequence_and_ledger()
    {
        Scenario scenario = Small(5) with { Churn = new ChurnSpec(), Events = [], Rounds = 4 };
        using var sim = new Simulator(scenario, Path.Combine(_root, "c"));
        sim.Run();
        SimNode node = sim.Nodes[1];
        float[] adapter = node.Learner.GetAdapter();
        ulong sequence = node.LastSequence;
        int releases = LedgerReleases(node);
        Assert.Equal(4, releases);

        sim.StopProcess(node, leave: false, "test crash");
        node.Learner.SetAdapter(new float[adapter.Length]);
        sim.StartProcess(node, "test restart");

        Assert.Equal(adapter, node.Learner.GetAdapter());
        Assert.Equal(releases, LedgerReleases(node));
        sim.Clock.RunUntil(sim.Clock.Elapsed + TimeSpan.FromSeconds(1));
        float[] next = Enumerable.Repeat(0.5f, adapter.Length).ToArray();
        var published = sim.PublishState(1, next);
        Assert.True(published.Delta.Manifest.Sequence > sequence);
    }

    [Fact]
    public void Churn_keeps_every_node_state_across_crashes()
    {
        Scenario scenario = Small(9) with { Churn = new ChurnSpec { Rate = 0.3, DowntimeRounds = 1 }, Rounds = 8, Events = [] };
        using var sim = new Simulator(scenario, Path.Combine(_root, "churn"));
        SimulationResult result = sim.Run();

        Assert.Contains(result.EventLog, l => l.Contains("churn crash", StringComparison.Ordinal));
        Assert.Contains(result.EventLog, l => l.Contains("churn restart", StringComparison.Ordinal));
        foreach (SimNode node in sim.Nodes)
        {
            // A down node's adapter is its checkpoint; an up node's checkpoint is the adapter after its last round.
            if (!node.Up)
            {
                Assert.Equal(node.Checkpoint, node.Learner.GetAdapter());
            }

            // Every completed round released once (budget permitting) and the ledger file kept them all.
            Assert.Equal(node.RoundsRun, LedgerReleases(node));
        }

        // Nodes that were down still make progress overall: nobody is back at the initial zero adapter.
        Assert.All(sim.Nodes, n => Assert.NotEqual(new float[n.Checkpoint.Length], n.Checkpoint));
    }

    [Fact]
    public void A_small_dissemination_run_reaches_every_node()
    {
        DisseminationResult r = DisseminationProbe.Run(nodes: 32, degree: 4, floats: 64, seed: 2);

        Assert.Equal(32, r.Reached);
        Assert.InRange(r.Hops99, 1, 2 * Math.Log2(32));
        Assert.True(r.Milliseconds99 > 0);
    }

    [Fact]
    public void Robust_merging_converges_towards_the_optimum()
    {
        Scenario scenario = Small(4) with { Privacy = null, Churn = new ChurnSpec(), Events = [], Rounds = 10 };
        using var sim = new Simulator(scenario, Path.Combine(_root, "conv"));
        SimulationResult result = sim.Run();

        Assert.True(result.Summaries[^1].MeanDistanceToOptimum < 0.2 * result.Summaries[0].MeanDistanceToOptimum);
        Assert.True(result.Summaries[^1].MeanDistanceToConsensus < result.Summaries[0].MeanDistanceToConsensus);
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

    private static int LedgerReleases(SimNode node)
    {
        using PrivacyLedger ledger = PrivacyLedger.OpenReadOnly(new FedMesh.Node.Storage.StatePaths(node.StateDirectory).PrivacyLedger, PrivacyOptions.Default);
        return (int)ledger.GetStatus().Releases;
    }

    private string RunAndDigest(Scenario scenario, string name)
    {
        string dir = Path.Combine(_root, name);
        using (var sim = new Simulator(scenario, Path.Combine(dir, "state")))
        {
            RunOutputs.Write(sim.Run(), Path.Combine(dir, "out"), plots: false);
        }

        // Ledgers hold virtual timestamps only, so they are part of the digest too.
        return RunOutputs.Digest(dir, f => !f.EndsWith(".lock", StringComparison.Ordinal));
    }
}
