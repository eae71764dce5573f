using System.Text.Json;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// End-to-end tests of real <c>fedmesh run</c> processes on loopback (issue 5). Each test starts its own daemons
/// with tiny settings (<see cref="DaemonLab"/>); together they run in well under 3 minutes on 2 cores.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonMeshTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    [Fact]
    public async Task Three_daemons_converge_and_the_mesh_adapters_beat_the_base_and_local_only_on_shared_held_out_text()
    {
        const long rounds = 6;
        // Ports are bound at start (port 0), so m0 starts before the nodes seeded with it are configured: they start
        // together once it has bound, about LeadRounds rounds of 2 s later (loading the model). m0, and its
        // local-only twin so that the two still do the same steps, run LeadRounds more rounds so that its last
        // rounds overlap the others'.
        const long LeadRounds = 4;
        using Daemon m0 = lab.Node("mesh", 0, rounds + LeadRounds, With(Learning, new()
        {
            ["metrics.enabled"] = true,
            ["metrics.listen"] = "127.0.0.1:0",
        }));
        m0.Start();
        using Daemon m1 = lab.Node("mesh", 1, rounds, With(Learning, new() { ["network.seeds"] = new[] { m0.Seed } }));
        using Daemon m2 = lab.Node("mesh", 2, rounds, With(Learning, new() { ["network.seeds"] = new[] { m0.Seed } }));
        // The same data, settings and steps without peers: what the mesh is compared with.
        using Daemon l0 = lab.Node("alone0", 0, rounds + LeadRounds, Learning);
        using Daemon l1 = lab.Node("alone1", 1, rounds, Learning);
        using Daemon l2 = lab.Node("alone2", 2, rounds, Learning);
        Daemon[] mesh = [m0, m1, m2];
        Daemon[] alone = [l0, l1, l2];
        foreach (Daemon d in alone.Prepend(m2).Prepend(m1))
        {
            d.Start();
        }

        string scrape = await ScrapeMetricsAsync(m0, m0.MetricsPort);
        JsonElement[] statuses = await Task.WhenAll(mesh.Select((d, i) => d.WaitForAsync(
            s => s.GetProperty("round").GetInt64() >= rounds - 1 + (i == 0 ? LeadRounds : 0), DaemonLab.Patience, "its last rounds")));
        foreach (Daemon d in mesh.Concat(alone))
        {
            Assert.True(await d.WaitForExitAsync(DaemonLab.Patience), $"{d.Name} did not stop after max_rounds:\n{d.Output}");
            Assert.True(d.ExitCode == 0, $"{d.Name} exited with {d.ExitCode}:\n{d.Output}");
        }

        for (int i = 0; i < mesh.Length; i++)
        {
            JsonElement s = statuses[i];
            Assert.True(s.GetProperty("peers").GetArrayLength() >= 1, $"{mesh[i].Name} has no peers: {s}");
            Assert.True(s.GetProperty("deltas_received").GetInt64() >= 2, $"{mesh[i].Name} received too little: {s}");
            Assert.True(s.GetProperty("deltas_merged").GetInt64() >= 1, $"{mesh[i].Name} merged nothing: {s}");
        }

        double baseBpc = lab.BaseBpc(m0);
        double[] meshBpc = mesh.Select(lab.HeldOutBpc).ToArray();
        double[] aloneBpc = alone.Select(lab.HeldOutBpc).ToArray();
        output.WriteLine($"shared held-out bpc: base {baseBpc:F4}, mesh [{string.Join(", ", meshBpc.Select(b => b.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}], " +
            $"alone [{string.Join(", ", aloneBpc.Select(b => b.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}]");
        Assert.All(meshBpc, b => Assert.True(b < baseBpc, $"a mesh adapter ({b:F4}) is not better than the base ({baseBpc:F4})"));
        Assert.True(meshBpc.Average() < aloneBpc.Average(),
            $"mesh mean {meshBpc.Average():F4} is not better than local-only mean {aloneBpc.Average():F4}");

        Assert.Contains("fedmesh_rounds_total", scrape, StringComparison.Ordinal);
    }

    /// <summary>
    /// Learning settings of the convergence test's six daemons: lr 1e-2 and LoRA on attention and MLP (the demo's),
    /// where a node's 30 KB of one era is learned fast enough that what the eras teach differs within six rounds.
    /// Measured (6 rounds × 8 steps, 60-step base, load average ≈ 25): base 3.8037; mesh 3.7088 / 3.7198 / 3.7138,
    /// alone 3.7173 / 3.7318 / 3.7201 (mean margin 0.009; every mesh node beats its local-only twin). With the node
    /// defaults (lr 1e-3, LoRA on q, v) the two were within ±0.003 and the test could only pin "not worse".
    /// </summary>
    private static readonly Dictionary<string, object> Learning = new()
    {
        ["learning.lr"] = 1e-2,
        ["learning.lora_targets"] = new[] { "q", "k", "v", "o", "mlp_up", "mlp_down" },
    };

    private static Dictionary<string, object> With(Dictionary<string, object> a, Dictionary<string, object> b) =>
        a.Concat(b).ToDictionary(p => p.Key, p => p.Value);


    /// <summary>The [metrics] endpoint serves Prometheus text once the node is up (and /status is not on it).</summary>
    private static async Task<string> ScrapeMetricsAsync(Daemon node, int port)
    {
        await node.WaitForAsync(s => s.GetProperty("round").GetInt64() >= 1, DaemonLab.Patience, "a first round");
        string text = await node.GetAsync(port, "/metrics");
        await Assert.ThrowsAsync<HttpRequestException>(() => node.GetAsync(port, "/status"));
        return text;
    }
}

[CollectionDefinition(Name)]
public sealed class DaemonCollection
{
    /// <summary>Daemon tests run one at a time: each already keeps the 2 cores busy.</summary>
    public const string Name = "daemons";
}
