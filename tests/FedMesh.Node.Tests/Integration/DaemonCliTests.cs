using System.Text.Json;
using FedMesh.Node.Storage;
using FedMesh.Node.Tests.Cli;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>The operator's tools on what a real daemon wrote: `fedmesh privacy` on its ledger.</summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonCliTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    [Fact]
    public async Task Privacy_reports_the_daemons_ledger_with_its_budget_and_its_next_release_prediction()
    {
        const long rounds = 3;

        // DP on at the node defaults (σ = 1, budget ε = 8), and a data folder of ONE document: before, it went to the
        // held-out side and the daemon died with "training documents hold 0 bytes"; now the document is cut.
        using Daemon node = lab.Node("privacy-cli", 0, rounds, new Dictionary<string, object> { ["privacy.level"] = "node", ["privacy.noise_multiplier"] = 1.0 });
        string[] documents = Directory.GetFiles(node.Options.Data.Folder);
        foreach (string extra in documents.Skip(1))
        {
            File.Delete(extra);
        }

        node.Start();
        Assert.True(await node.WaitForExitAsync(DaemonLab.Patience * 2), $"the daemon did not stop after {rounds} rounds:\n{node.Output}");
        Assert.True(node.ExitCode == 0, $"exit {node.ExitCode}:\n{node.Output}");

        // What the daemon wrote: one line per release, each with the running ε it computed when it released.
        string[] lines = File.ReadAllLines(node.Paths.PrivacyLedger);
        double[] written = lines.Select(l => JsonDocument.Parse(l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]).RootElement.GetProperty("eps").GetDouble()).ToArray();
        output.WriteLine($"ledger: {lines.Length} releases, ε after each: {string.Join(", ", written)}");
        Assert.True(lines.Length >= 2, $"the daemon released {lines.Length} deltas:\n{node.Output}");

        (int exit, string json, string error) = CliRunner.Run("privacy", "--config", node.ConfigPath, "--json");
        Assert.True(exit == 0, error);
        using JsonDocument report = JsonDocument.Parse(json);
        JsonElement status = report.RootElement.GetProperty("status");
        Assert.Equal(node.Paths.PrivacyLedger, report.RootElement.GetProperty("path").GetString());
        Assert.True(report.RootElement.GetProperty("exists").GetBoolean());
        Assert.Equal(lines.Length, status.GetProperty("releases").GetInt64());
        Assert.Equal(written[^1], status.GetProperty("spentEpsilon").GetDouble(), 9);
        Assert.Equal(node.Options.Privacy.EpsilonBudget, status.GetProperty("budgetEpsilon").GetDouble());
        Assert.Equal(8.0, status.GetProperty("budgetEpsilon").GetDouble());

        // The prediction is the daemon's: on the ledger as it stood after its first release, `privacy` predicts
        // exactly the ε the daemon then wrote for its second.
        var before = new StatePaths(Directory.CreateDirectory(Path.Combine(lab.Root, "privacy-cli", "before-second")).FullName);
        File.WriteAllText(before.PrivacyLedger, lines[0] + "\n");
        (exit, json, error) = CliRunner.Run("privacy", "--config", node.ConfigPath, "--state-dir", before.Root, "--json");
        Assert.True(exit == 0, error);
        using JsonDocument partial = JsonDocument.Parse(json);
        Assert.Equal(written[1], partial.RootElement.GetProperty("status").GetProperty("nextReleaseEpsilon").GetDouble(), 9);

        // The text report (what an operator reads) says the same.
        (exit, string text, _) = CliRunner.Run("privacy", "--state-dir", node.StateDir, "--config", node.ConfigPath);
        Assert.Equal(0, exit);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epsilon     {written[^1]:F4} of 8"), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trust_add_alone_sets_up_a_closed_mesh_that_run_admits()
    {
        const long rounds = 4;
        var closed = new Dictionary<string, object> { ["network.closed"] = true };
        using Daemon a = lab.Node("trust-add", 0, rounds, closed);
        using Daemon b = lab.Node("trust-add", 1, rounds, closed);
        Assert.Empty(a.Options.Network.Allowlist);
        foreach ((Daemon node, Daemon other) in new[] { (a, b), (b, a) })
        {
            (int exit, string said, string error) = CliRunner.Run("trust", "add", "--config", node.ConfigPath, other.PeerId);
            Assert.True(exit == 0, error);
            Assert.Contains($"added {other.PeerId}", said, StringComparison.Ordinal);
        }

        a.Start();
        // a binds a free port (port 0): b's seed names it once a runs.
        b.Configure(new Dictionary<string, object> { ["network.seeds"] = new[] { a.Seed } });
        b.Start();
        JsonElement[] members = await Task.WhenAll(
            a.WaitForAsync(s => s.GetProperty("round").GetInt64() >= rounds - 1 && s.GetProperty("deltas_received").GetInt64() >= 1, DaemonLab.Patience, "a delta from b"),
            b.WaitForAsync(s => s.GetProperty("round").GetInt64() >= rounds - 1 && s.GetProperty("deltas_received").GetInt64() >= 1, DaemonLab.Patience, "a delta from a"));
        output.WriteLine($"a received {members[0].GetProperty("deltas_received")}, b received {members[1].GetProperty("deltas_received")}");
        Assert.DoesNotContain("not in this closed mesh's allowlist", a.Output + b.Output, StringComparison.Ordinal);
    }
}
