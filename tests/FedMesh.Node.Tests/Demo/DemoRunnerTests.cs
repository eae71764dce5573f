using System.Text.Json;
using FedMesh.Node.Demo;
using FedMesh.Node.Tests.Learning.HuggingFace;
using Spectre.Console;

namespace FedMesh.Node.Tests.Demo;

[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public sealed class DemoRunnerTests(HfCheckpoints checkpoints) : IDisposable, IClassFixture<HfCheckpoints>
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
        // The nodes merged by the daemon's default rule (centered clipping), as `fedmesh run` does.
        Assert.Equal("centered_clipping", FedMesh.Node.Configuration.ConfigLoader.Load(Path.Combine(options.OutputDirectory!, "node-1", "fedmesh.toml")).Merge.Rule);
        string text = output.ToString();
        Assert.Contains("node 1 (", text, StringComparison.Ordinal);
        Assert.Contains("round 2", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_tiny_demo_on_a_Hugging_Face_base_trains_LoRA_on_its_modules_and_scores_bits_per_byte()
    {
        // A generated Llama-layout checkpoint (2 layers, width 32, BF16, its own byte-level BPE tokenizer); no pretraining.
        string model = checkpoints.Make("--arch llama --dtype bf16 --kv-heads 2 --positions 64 --std 0.05");
        var options = DemoOptions.Default with
        {
            Base = model,
            Nodes = 2,
            Rounds = 2,
            LocalSteps = 2,
            PeriodSeconds = 2,
            BatchSize = 8,
            EvalBytes = 8 * 1024,
            CacheDirectory = Path.Combine(_root, "cache"),
            OutputDirectory = Path.Combine(_root, "out"),
        };
        var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output) });

        DemoSummary summary = await new DemoRunner(options, console).RunAsync(CancellationToken.None);

        Assert.Equal(2, summary.Rounds);
        // Random weights over a 280-token vocabulary: ≈ log2(280) = 8.1 bits per token, a few bits per byte.
        foreach (double bpb in new[] { summary.BaseBpc, summary.LocalOnlyBpc, summary.MeshBpc })
        {
            Assert.InRange(bpb, 0.1, 20.0);
        }

        Assert.NotEqual(summary.BaseBpc, summary.MeshBpc);
        Assert.False(Directory.Exists(options.CacheDirectory) && Directory.GetFiles(options.CacheDirectory!, "base-*.safetensors").Length > 0, "no byte model was pretrained");
        foreach (string node in new[] { "node-1", "node-2" })
        {
            string config = File.ReadAllText(Path.Combine(options.OutputDirectory!, node, "fedmesh.toml"));
            Assert.Contains(model, config, StringComparison.Ordinal);
            // The nodes adapted the checkpoint's PEFT modules (q_proj … down_proj), not the byte model's.
            string tensors = Path.Combine(new FedMesh.Node.Storage.StatePaths(Path.Combine(options.OutputDirectory!, node, "state")).Adapter, FedMesh.Node.Learning.AdapterCheckpoint.TensorsFile);
            Assert.Contains("self_attn.q_proj", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(tensors)), StringComparison.Ordinal);
        }

        Assert.Contains("llama", output.ToString(), StringComparison.Ordinal);
    }
}
