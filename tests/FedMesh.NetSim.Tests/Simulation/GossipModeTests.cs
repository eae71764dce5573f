using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Tests.Simulation;

/// <summary>The daemon's gossip.mode and gossip.encoding as netsim runs them: bytes per node and round vs N.</summary>
public sealed class GossipModeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netsim-mode-").FullName;

    /// <summary>A random 8-regular mesh, surrogate learner of 1,024 values (4 KiB fp32: payload dominates the control
    /// messages), fanout 3, no privacy, 4 rounds.</summary>
    private static Scenario Mesh(int nodes, GossipMode mode, TensorEncoding encoding) => ScenarioLoader.Parse(
        $$"""
        nodes = {{nodes}}
        rounds = 4
        seed = 5
        [topology]
        kind = "random_regular"
        degree = 8
        [gossip]
        fanout = 3
        [learner]
        dimension = 1024
        local_steps = 2
        train_samples = 16
        test_samples = 8
        [merge]
        rule = "mean"
        validation_gate = false
        """,
        "mode.toml") with
    {
        Gossip = new GossipSpec { Fanout = 3, Mode = mode, Encoding = encoding },
    };

    /// <summary>Mean bytes (in + out) per honest node and round over the last three rounds.</summary>
    private double BytesPerNodeRound(Scenario scenario)
    {
        using var sim = new Simulator(scenario, Path.Combine(_root, $"{scenario.Gossip.Mode}-{scenario.Gossip.Encoding}-{scenario.Nodes}"));
        SimulationResult result = sim.Run();
        RoundSummary[] last = result.Summaries.Skip(1).ToArray();
        return last.Average(s => (double)(s.BytesIn + s.BytesOut) / s.HonestUp);
    }

    [Fact]
    public void Neighbours_mode_bytes_per_node_round_stay_flat_from_16_to_48_nodes_while_flood_grows_with_N()
    {
        double n16 = BytesPerNodeRound(Mesh(16, GossipMode.Neighbours, TensorEncoding.Float32));
        double n48 = BytesPerNodeRound(Mesh(48, GossipMode.Neighbours, TensorEncoding.Float32));
        double f16 = BytesPerNodeRound(Mesh(16, GossipMode.Flood, TensorEncoding.Float32));
        double f48 = BytesPerNodeRound(Mesh(48, GossipMode.Flood, TensorEncoding.Float32));

        Assert.True(Math.Abs(n48 - n16) <= 0.1 * n16, $"neighbours: {n16:F0} B at N=16, {n48:F0} B at N=48");
        Assert.True(f48 > 2.5 * f16, $"flood: {f16:F0} B at N=16, {f48:F0} B at N=48");
        // Each node sends its 4 KiB state to 3 peers and receives ≈ 3: about 6 states' worth a round.
        double state = 1024 * sizeof(float);
        Assert.InRange(n16 / state, 5.0, 8.0);
    }

    [Fact]
    public void Int8_moves_about_a_quarter_of_the_fp32_bytes()
    {
        double fp32 = BytesPerNodeRound(Mesh(16, GossipMode.Neighbours, TensorEncoding.Float32));
        double int8 = BytesPerNodeRound(Mesh(16, GossipMode.Neighbours, TensorEncoding.Int8));

        Assert.InRange(int8 / fp32, 0.2, 0.35);
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
}
