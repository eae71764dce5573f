using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace FedMesh.Node.Demo;

/// <summary>The figures <c>fedmesh demo</c> ends with (also its --json output).</summary>
public sealed record DemoSummary(
    double BaseBpc,
    double LocalOnlyBpc,
    double MeshBpc,
    int Rounds,
    double Seconds,
    int Nodes,
    double EpsilonSpent,
    string OutputDirectory,
    string Plot);

/// <summary>
/// <c>fedmesh demo</c>: a local mesh of N real <c>fedmesh run</c> processes on loopback, node i holding era i of the
/// shipped SOTU corpus, on a cached pretrained base. A live table follows them (round, peers, train loss, held-out bpc,
/// ε); at the end the base, local-only (each node training alone for the same steps) and mesh adapters are scored on
/// the global held-out addresses (drawn from every era, in no node's data) and bpc over time is plotted.
/// </summary>
public sealed class DemoRunner(DemoOptions options, IAnsiConsole console)
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public async Task<DemoSummary> RunAsync(CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string root = options.OutputDirectory ?? Path.Combine(Path.GetTempPath(), $"fedmesh-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(root);
        int pretrainSteps = LearningSection.Default.PretrainSteps;
        BaseModel baseModel = Pretrain(pretrainSteps, cancel);

        IReadOnlyList<SotuAddress> corpus = SotuCorpus.ReadShipped();
        SotuPartition partition = SotuPartition.Create(corpus, options.Nodes, SotuSplitOptions.Default);
        IReadOnlyList<string> globalHoldout = partition.Holdout.Select(a => a.Text).ToArray();
        var nodes = new List<DemoNode>();
        int[] ports = FreePorts(2 * options.Nodes);
        for (int i = 0; i < options.Nodes; i++)
        {
            nodes.Add(WriteNode(root, i, partition.Shards[i], ports, pretrainSteps));
        }

        Info($"{options.Nodes} nodes in {root}");
        foreach (DemoNode n in nodes)
        {
            Info($"  node {n.Index + 1}: {n.Shard.Describe()}");
        }

        var history = new List<(double Seconds, int Node, double Bpc)>();
        try
        {
            foreach (DemoNode n in nodes)
            {
                n.Process = Start(n);
            }

            await FollowAsync(nodes, history, clock, cancel).ConfigureAwait(false);
        }
        finally
        {
            foreach (DemoNode n in nodes)
            {
                Stop(n);
            }
        }

        Info("scoring base, local-only and mesh adapters on the global held-out addresses …");
        var lora = LoraOptions.Default;
        TrainerOptions trainer = TrainerOptions.Default with { Threads = Environment.ProcessorCount, MaxEvalBytes = options.EvalBytes, Seed = 1 };
        double baseBpc, meshBpc, localBpc;
        using (var scorer = new TorchLearner(baseModel, lora, trainer, globalHoldout))
        {
            baseBpc = scorer.Evaluate(globalHoldout, new float[scorer.Schema.TotalElements]).BitsPerByte;
            var meshScores = new List<double>();
            foreach (DemoNode n in nodes)
            {
                string dir = Path.Combine(n.StateDir, "adapter");
                if (File.Exists(Path.Combine(dir, AdapterCheckpoint.TensorsFile)))
                {
                    AdapterCheckpoint.LoadInto(dir, scorer);
                    meshScores.Add(scorer.Evaluate(globalHoldout).BitsPerByte);
                }
            }

            meshBpc = meshScores.Count > 0 ? meshScores.Average() : double.NaN;
        }

        var localScores = new List<double>();
        foreach (DemoNode n in nodes)
        {
            // Local-only: the same base, data and number of local steps, no exchange and no noise.
            using var alone = new TorchLearner(baseModel, lora, trainer, n.Shard.Texts);
            alone.Train(options.Rounds * options.LocalSteps, cancel);
            localScores.Add(alone.Evaluate(globalHoldout).BitsPerByte);
        }

        localBpc = localScores.Average();
        double epsilon = nodes.Max(n => n.LastEpsilon);
        string plot = Path.Combine(root, "demo-bpc.png");
        DemoPlot.Save(plot, history, options.Nodes, baseBpc, meshBpc, localBpc);
        var summary = new DemoSummary(baseBpc, localBpc, meshBpc, nodes.Min(n => n.LastRound), clock.Elapsed.TotalSeconds, options.Nodes, epsilon, root, plot);
        File.WriteAllText(Path.Combine(root, "summary.json"), JsonSerializer.Serialize(summary, AdminServer.Json));
        return summary;
    }

    private BaseModel Pretrain(int steps, CancellationToken cancel)
    {
        PretrainOptions pretrain = PretrainOptions.Default with { Steps = steps };
        if (File.Exists(BaseModelCache.PathFor(pretrain, BaseModelCache.DefaultDirectory)))
        {
            return BaseModelCache.GetOrCreate(pretrain, cancellationToken: cancel);
        }

        Info($"pretraining the base model on Moby-Dick ({steps} steps, cached in {BaseModelCache.DefaultDirectory}) …");
        BaseModel? model = null;
        if (options.Json || !console.Profile.Capabilities.Interactive)
        {
            return BaseModelCache.GetOrCreate(pretrain, cancellationToken: cancel);
        }

        console.Progress().Start(ctx =>
        {
            ProgressTask task = ctx.AddTask("pretrain", maxValue: steps);
            var progress = new Progress<PretrainProgress>(p =>
            {
                task.Value = p.Step;
                task.Description = string.Create(CultureInfo.InvariantCulture, $"pretrain loss {p.Loss:F3}");
            });
            model = BaseModelCache.GetOrCreate(pretrain, progress: progress, logger: NullLogger.Instance, cancellationToken: cancel);
            task.Value = steps;
        });
        return model!;
    }

    private DemoNode WriteNode(string root, int index, SotuShard shard, int[] ports, int pretrainSteps)
    {
        string dir = Path.Combine(root, $"node-{index + 1}");
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "sotu-era.jsonl"), shard.Addresses.Select(a => JsonSerializer.Serialize(new { text = a.Text })));
        int port = ports[index];
        int admin = ports[options.Nodes + index];
        var seeds = Enumerable.Range(0, options.Nodes).Where(j => j != index).Select(j => $"127.0.0.1:{ports[j]}").ToList();
        var overrides = new Dictionary<string, object>
        {
            ["node.name"] = $"demo-{index + 1}",
            ["node.state_dir"] = Path.Combine(dir, "state"),
            ["node.seed"] = (long)(index + 1),
            ["network.listen_address"] = "127.0.0.1",
            ["network.listen_port"] = (long)port,
            ["network.mesh_id"] = "demo",
            ["network.seeds"] = seeds,
            ["network.mdns"] = false,
            ["gossip.period_seconds"] = options.PeriodSeconds,
            ["gossip.local_steps"] = (long)options.LocalSteps,
            ["gossip.max_rounds"] = (long)options.Rounds,
            ["gossip.fanout"] = (long)Math.Max(1, options.Nodes - 1),
            ["learning.threads"] = 1L,
            ["learning.batch_size"] = 16L,
            ["learning.lr"] = 3e-3,
            ["learning.pretrain_steps"] = (long)pretrainSteps,
            ["data.folder"] = data,
            ["data.redaction_rules"] = false,
            ["merge.rule"] = options.MergeRule,
            ["privacy.noise_multiplier"] = options.NoiseMultiplier,
            ["privacy.clip_norm"] = options.ClipNorm,
            ["privacy.epsilon_budget"] = options.EpsilonBudget,
            ["admin.enabled"] = true,
            ["admin.listen"] = $"127.0.0.1:{admin}",
        };
        string config = Path.Combine(dir, "fedmesh.toml");
        ConfigWriter.WriteDefault(config, overrides);
        return new DemoNode(index, shard, config, Path.Combine(dir, "state"), Path.Combine(dir, "node.log"), $"http://127.0.0.1:{admin}");
    }

    private static Process Start(DemoNode node)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the fedmesh executable");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(DemoRunner).Assembly.Location);
        }

        foreach (string arg in new[] { "run", "--config", node.Config })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a node process");
        var log = new StreamWriter(node.LogPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) => { lock (log) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(DemoNode node)
    {
        if (node.Process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    private async Task FollowAsync(List<DemoNode> nodes, List<(double, int, double)> history, Stopwatch clock, CancellationToken cancel)
    {
        // Nodes stop by themselves after their rounds; give up if the whole run takes far longer than planned.
        TimeSpan limit = TimeSpan.FromSeconds((options.Rounds * options.PeriodSeconds * 3) + 300);
        bool live = !options.Json && console.Profile.Capabilities.Interactive;
        Table table = NewTable();
        async Task Poll()
        {
            foreach (DemoNode n in nodes)
            {
                await n.RefreshAsync(_http, cancel).ConfigureAwait(false);
                if (n.LastBpc is { } bpc && n.LastRound > n.PlottedRound)
                {
                    n.PlottedRound = n.LastRound;
                    history.Add((clock.Elapsed.TotalSeconds, n.Index, bpc));
                    if (!live && !options.Json)
                    {
                        console.WriteLine(n.Line());
                    }
                }
            }
        }

        bool Done() => nodes.All(n => n.Process!.HasExited) || clock.Elapsed > limit;
        if (live)
        {
            await console.Live(table).StartAsync(async ctx =>
            {
                while (!Done())
                {
                    await Poll().ConfigureAwait(false);
                    Fill(table, nodes, clock.Elapsed);
                    ctx.Refresh();
                    await Task.Delay(1000, cancel).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
        else
        {
            while (!Done())
            {
                await Poll().ConfigureAwait(false);
                await Task.Delay(1000, cancel).ConfigureAwait(false);
            }
        }

        foreach (DemoNode n in nodes.Where(n => n.Process!.ExitCode != 0 && n.LastRound < options.Rounds))
        {
            throw new InvalidOperationException($"node {n.Index + 1} stopped early (exit {n.Process!.ExitCode}); see {n.LogPath}");
        }
    }

    private static Table NewTable() =>
        new Table().AddColumns("node", "era", "round", "peers", "train loss", "held-out bpc", "ε spent", "deltas in/out");

    private static void Fill(Table table, List<DemoNode> nodes, TimeSpan elapsed)
    {
        table.Rows.Clear();
        table.Caption($"{elapsed.TotalSeconds:F0} s");
        foreach (DemoNode n in nodes)
        {
            table.AddRow(n.Cells());
        }
    }

    private void Info(string text)
    {
        if (!options.Json)
        {
            console.MarkupLineInterpolated($"[grey]{text}[/]");
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        int[] ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
