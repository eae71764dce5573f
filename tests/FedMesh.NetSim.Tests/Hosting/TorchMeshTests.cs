using System.Globalization;
using System.Text.Json;
using FedMesh.NetSim.Output;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>
/// Torch scenarios on the real runtime: every node assembled by the daemon's NodeFactory (TorchLearner, record-level
/// DP-SGD, ledger and budget from the scenario's [privacy] section) on a tiny base (1 layer, width 32, context 32,
/// 20 pretraining steps) pretrained once into this class's own cache directory.
/// </summary>
public sealed class TorchMeshTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netsim-torch-mesh-").FullName;

    private Dictionary<string, string> Cache => new() { ["FEDMESH_CACHE_DIR"] = Path.Combine(_root, "cache") };

    [Fact]
    public async Task A_DP_torch_mesh_replays_byte_for_byte_and_every_node_is_charged_by_its_own_ledger()
    {
        string scenario = Write("dp", Scenario(privacy: "noise_multiplier = 1.0\nbudget_epsilon = 8.0", baselines: false));
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b"), c = Path.Combine(_root, "c");

        await NetsimProcess.RunAsync(Cache, "run", scenario, "--out", a, "--json", "--no-plots");
        await NetsimProcess.RunAsync(Cache, "run", scenario, "--out", b, "--json", "--no-plots");
        await NetsimProcess.RunAsync(Cache, "run", scenario, "--out", c, "--json", "--no-plots", "--seed", "4");

        Assert.Equal(RunOutputs.Digest(a), RunOutputs.Digest(b));
        Assert.NotEqual(RunOutputs.Digest(a), RunOutputs.Digest(c));
        long merged = 0;
        for (int node = 0; node < 3; node++)
        {
            string[][] rows = [.. File.ReadAllLines(Path.Combine(a, "nodes", $"node-{node:D4}.csv")).Skip(1).Select(l => l.Split(','))];
            double[] epsilon = [.. rows.Select(r => double.Parse(r[7], CultureInfo.InvariantCulture))];
            // DP-SGD steps are charged before anything leaves: ε > 0 from round 1, growing, within the budget.
            Assert.All(epsilon, e => Assert.InRange(e, 1e-6, 8.0));
            Assert.True(epsilon.Zip(epsilon.Skip(1)).All(p => p.Second > p.First), $"node {node}: ε {string.Join(' ', epsilon)}");
            merged += rows.Sum(r => long.Parse(r[11], CultureInfo.InvariantCulture));
        }

        Assert.True(merged > 0, "no node merged a peer's state");
    }

    [Fact]
    public async Task The_daemons_budget_gate_refuses_every_release_that_would_pass_epsilon()
    {
        // σ = 1 at q = 16/n over 2 steps costs ε ≈ 0.7 in the first round: a budget of 0.2 admits no release.
        string scenario = Write("budget", Scenario(privacy: "noise_multiplier = 1.0\nbudget_epsilon = 0.2", baselines: false));
        string dir = Path.Combine(_root, "budget-out");

        using JsonDocument summary = JsonDocument.Parse(await NetsimProcess.RunAsync(Cache, "run", scenario, "--out", dir, "--json", "--no-plots"));

        Assert.Equal(0, summary.RootElement.GetProperty("messages_sent").GetInt64());
        Assert.InRange(summary.RootElement.GetProperty("final_max_epsilon").GetDouble(), 0, 0.2);
    }

    [Fact]
    public async Task A_sotu_like_run_with_baselines_reports_the_comparison_with_fedavg_and_local_only()
    {
        string scenario = Write("baselines", Scenario(privacy: null, baselines: true));
        string dir = Path.Combine(_root, "baselines-out");

        using JsonDocument summary = JsonDocument.Parse(await NetsimProcess.RunAsync(Cache, "run", scenario, "--out", dir, "--json", "--no-plots"));

        JsonElement comparison = summary.RootElement.GetProperty("comparison");
        double baseBpc = comparison.GetProperty("base_bpc").GetDouble();
        foreach (string field in new[] { "mesh_bpc", "fedavg_bpc", "local_only_bpc", "pooled_bpc" })
        {
            double bpc = comparison.GetProperty(field).GetDouble();
            Assert.True(double.IsFinite(bpc) && bpc > 0 && bpc < 2 * baseBpc, $"{field} = {bpc} (base {baseBpc})");
        }

        Assert.Equal(3, comparison.GetProperty("local_only_per_node").GetArrayLength());
        long payload = comparison.GetProperty("payload_bytes").GetInt64();
        // int8 payload of the 1-layer q,v adapter (r = 8, width 32): 2 targets × (8×32 + 32×8) values, 1 byte each
        // plus per-tensor scales; the server moves 2 × N × R states.
        Assert.InRange(payload, 2 * 2 * 8 * 32, 2 * 2 * 8 * 32 * 4);
        Assert.Equal(2L * 3 * 3 * payload, comparison.GetProperty("fedavg_server_bytes").GetInt64());
        long busiest = comparison.GetProperty("busiest_node_bytes").GetInt64();
        // Real wire bytes: at least the two later rounds' releases crossed the busiest node's links.
        Assert.True(busiest > 2 * payload, $"busiest node {busiest} B, payload {payload} B");
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

    private string Write(string name, string text)
    {
        string path = Path.Combine(_root, name + ".toml");
        File.WriteAllText(path, text);
        return path;
    }

    private static string Scenario(string? privacy, bool baselines) =>
        $"""
        name = "tiny-torch"
        nodes = 3
        rounds = 3
        period_s = 60.0
        seed = 3
        [learner]
        kind = "torch"
        local_steps = 2
        batch_size = 16
        learning_rate = 1e-2
        pretrain_steps = 20
        model_layers = 1
        model_width = 32
        model_heads = 2
        model_context = 32
        eval_chars = 2048
        baselines = {(baselines ? "true" : "false")}
        [data]
        split = "sotu_era"
        """ + (privacy is null ? "" : $"\n[privacy]\nenabled = true\nlevel = \"record\"\n{privacy}\n");
}
