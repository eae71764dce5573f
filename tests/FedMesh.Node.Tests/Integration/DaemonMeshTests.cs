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
    public async Task Three_daemons_converge_and_the_mesh_adapter_beats_the_base_on_shared_held_out_text()
    {
        const long rounds = 6;
        int metricsPort = Daemon.FreePort();
        using Daemon m0 = lab.Node("mesh", 0, rounds, new Dictionary<string, object>
        {
            ["metrics.enabled"] = true,
            ["metrics.listen"] = $"127.0.0.1:{metricsPort}",
        });
        using Daemon m1 = lab.Node("mesh", 1, rounds, new Dictionary<string, object> { ["network.seeds"] = new[] { m0.Seed } });
        using Daemon m2 = lab.Node("mesh", 2, rounds, new Dictionary<string, object> { ["network.seeds"] = new[] { m0.Seed, m1.Seed } });
        // The same data and steps without peers: what the mesh is compared with.
        using Daemon l0 = lab.Node("alone0", 0, rounds);
        using Daemon l1 = lab.Node("alone1", 1, rounds);
        using Daemon l2 = lab.Node("alone2", 2, rounds);
        Daemon[] mesh = [m0, m1, m2];
        Daemon[] alone = [l0, l1, l2];
        foreach (Daemon d in mesh.Concat(alone))
        {
            d.Start();
        }

        string scrape = await ScrapeMetricsAsync(m0, metricsPort);
        JsonElement[] statuses = await Task.WhenAll(mesh.Select(d => d.WaitForAsync(s => s.GetProperty("round").GetInt64() >= rounds - 1, DaemonLab.Patience, "its last rounds")));
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
        Assert.True(meshBpc.Average() <= aloneBpc.Average() + MeshMargin,
            $"mesh mean {meshBpc.Average():F4} is worse than local-only mean {aloneBpc.Average():F4} by more than {MeshMargin}");

        Assert.Contains("fedmesh_rounds_total", scrape, StringComparison.Ordinal);
    }

    /// <summary>
    /// Allowed excess of the mesh's mean bpc over local-only's. Measured (6 rounds × 8 steps, 60-step base), two
    /// runs: base 3.8037; mesh 3.7864 / 3.7840 / 3.7855 and 3.7879 / 3.7882 / 3.7879; alone 3.7857 / 3.7840 / 3.7862
    /// — after so few steps averaging neither helps nor hurts measurably (±0.003), so the test pins "better than base
    /// and not worse than local-only by more than 0.01 bpc" (about 3× the largest observed gap).
    /// </summary>
    private const double MeshMargin = 0.01;

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
