using FedMesh.NetSim.Output;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.Node.Learning;

namespace FedMesh.NetSim.Tests.Simulation;

/// <summary>A tiny base (1 layer, width 32, context 32, 20 pretraining steps) cached once in a temp directory.</summary>
public sealed class TinyBaseFixture : IDisposable
{
    public static readonly ModelOptions TinyModel = new() { Layers = 1, Width = 32, Heads = 2, Context = 32 };

    /// <summary>Enough steps to leave the uniform-output start, few enough to take well under a second.</summary>
    public const int PretrainSteps = 20;

    public TinyBaseFixture()
    {
        var spec = new TorchSpec { Model = TinyModel, PretrainSteps = PretrainSteps, CacheDirectory = CacheDirectory };
        BaseModelCache.GetOrCreate(spec.Pretrain, CacheDirectory);
    }

    public string CacheDirectory { get; } = Directory.CreateTempSubdirectory("netsim-torch-cache-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(CacheDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

public sealed class TorchScenarioTests(TinyBaseFixture tiny) : IClassFixture<TinyBaseFixture>, IDisposable
{
    private const int Nodes = 3;

    private const int Rounds = 2;

    private const int Steps = 2;

    private readonly string _root = Directory.CreateTempSubdirectory("netsim-torch-").FullName;

    [Fact]
    public void A_torch_scenario_runs_end_to_end_and_computes_the_baselines()
    {
        var lines = new List<string>();
        SimulationResult result;
        using (var sim = new Simulator(Tiny(seed: 3), Path.Combine(_root, "run"), lines.Add))
        {
            result = sim.Run();
        }

        Assert.Equal(Nodes * Rounds, result.Records.Count);
        Assert.All(result.Records, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0, $"node {r.Node} round {r.Round}: {r.Loss}"));
        Assert.All(result.Records, r => Assert.True(double.IsNaN(r.DistanceToOptimum)));
        Assert.True(result.DeltasVerified > 0);
        BaselineResult b = Assert.IsType<BaselineResult>(result.Baselines);
        double[] finals = [b.BaseBpc, b.LocalOnlyBpc, b.PooledBpc, b.FedAvgBpc, Comparison.MeshBpc(result)];
        Assert.All(finals, x => Assert.True(double.IsFinite(x) && x > 0, $"{x}"));
        // lr 1e-2 on a barely pretrained base: every trained arm must beat the frozen base.
        Assert.All(finals.Skip(1), x => Assert.True(x < b.BaseBpc, $"{x} vs base {b.BaseBpc}"));
        Assert.Equal(Nodes, b.LocalOnlyPerNode.Count);
        Assert.Equal(Rounds, b.FedAvgPerRound.Count);
        Assert.Equal(Rounds, b.PooledPerRound.Count);
        Assert.Equal(Nodes * new TorchSpec().BatchSize, b.PooledBatch);
        // Float32 payload of the 1-layer q,v adapter (r = 8, width 32): 2 targets × (8×32 + 32×8) floats × 4 bytes.
        Assert.Equal(2 * 2 * 8 * 32 * 4, b.PayloadBytes);
        Assert.Equal(2L * Nodes * Rounds * b.PayloadBytes, b.FedAvgServerBytes);
        (int _, long busiest) = Comparison.BusiestNode(result);
        Assert.True(busiest > (Rounds - 1) * b.PayloadBytes, $"busiest node {busiest} bytes");
        Assert.Contains(lines, l => l.StartsWith("pretraining", StringComparison.Ordinal) || l.StartsWith("base model:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_seed_gives_byte_identical_outputs_and_another_seed_does_not()
    {
        string first = RunAndDigest(Tiny(seed: 7), "a");
        string second = RunAndDigest(Tiny(seed: 7), "b");
        string other = RunAndDigest(Tiny(seed: 8), "c");

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
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

    private Scenario Tiny(ulong seed)
    {
        Scenario s = ScenarioLoader.Parse(
            $"""
            nodes = {Nodes}
            rounds = {Rounds}
            period_s = 60.0
            seed = {seed}
            [learner]
            kind = "torch"
            local_steps = {Steps}
            learning_rate = 1e-2
            pretrain_steps = {TinyBaseFixture.PretrainSteps}
            eval_chars = 2048
            baselines = true
            [data]
            split = "sotu_era"
            """,
            "tiny-torch.toml");
        return s with { Learner = s.Learner with { Torch = s.Learner.Torch with { Model = TinyBaseFixture.TinyModel, CacheDirectory = tiny.CacheDirectory } } };
    }

    private string RunAndDigest(Scenario scenario, string name)
    {
        string dir = Path.Combine(_root, name);
        using (var sim = new Simulator(scenario, Path.Combine(dir, "state")))
        {
            RunOutputs.Write(sim.Run(), Path.Combine(dir, "out"), plots: false);
        }

        return RunOutputs.Digest(dir, f => !f.EndsWith(".lock", StringComparison.Ordinal));
    }
}
