using System.Text.Json;
using FedMesh.Node.Demo;
using Spectre.Console;

namespace FedMesh.Node.Tests.Demo;

[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public sealed class DemoRunnerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"fedmesh-demo-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task A_tiny_demo_runs_two_node_processes_and_writes_summary_and_plot()
    {
        // Tiny everything: a 5-step base in a private cache, 2 nodes × 2 rounds × 2 local steps, 8 KiB scored;
        // Record-level DP on (the default, σ planned by each node) so that the ε read from the nodes is the ledgers' real figure.
        var options = DemoOptions.Default with
        {
            Nodes = 2,
            Rounds = 2,
            LocalSteps = 2,
            PeriodSeconds = 2,
            PretrainSteps = 5,
            BatchSize = 8,
            LocalOnlySteps = 4,
            LocalOnlyBatchSize = 8,
            EvalBytes = 8 * 1024,
            CacheDirectory = Path.Combine(_root, "cache"),
            OutputDirectory = Path.Combine(_root, "out"),
        };
        var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });

        DemoSummary summary = await new DemoRunner(options, console).RunAsync(CancellationToken.None);

        Assert.Equal(2, summary.Nodes);
        Assert.Equal(2, summary.Rounds);
        foreach (double bpc in new[] { summary.BaseBpc, summary.LocalOnlyBpc, summary.MeshBpc })
        {
            Assert.InRange(bpc, 0.1, 9.0);
        }

        Assert.True(summary.EpsilonSpent > 0, "the nodes' privacy ledgers report the ε they spent");
        Assert.Equal(FedMesh.Node.Privacy.PrivacyLevels.Record, summary.PrivacyLevel);
        Assert.Equal(2, summary.NodeEpsilons.Count);
        // Each node planned σ so that the whole run fits the budget, and its ledger agrees.
        Assert.All(summary.NodeEpsilons, e => Assert.InRange(e, 1e-6, options.EpsilonBudget));
        Assert.All(summary.NodeDeltas, d => Assert.InRange(d, 1e-12, 1e-5));
        Assert.All(summary.NodeSamplingRates, q => Assert.InRange(q, 1e-6, 1.0));
        Assert.True(new FileInfo(summary.Plot).Length > 1000, "the plot is a real PNG");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(options.OutputDirectory!, "summary.json")));
        Assert.Equal(summary.MeshBpc, json.RootElement.GetProperty("mesh_bpc").GetDouble());
        Assert.Single(Directory.GetFiles(options.CacheDirectory!, "base-*.safetensors"));
        string text = output.ToString();
        Assert.Contains("node 1 (", text, StringComparison.Ordinal);
        Assert.Contains("round 2", text, StringComparison.Ordinal);
    }
}
