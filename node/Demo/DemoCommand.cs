using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Hosting;
using Spectre.Console;

namespace FedMesh.Node.Demo;

/// <summary><c>fedmesh-demo [--nodes 4] [--rounds 15] [--period 10] [--out DIR] [--json]</c>.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = $"Node processes (2..{DemoOptions.MaxNodes}).", DefaultValueFactory = _ => DemoOptions.Default.Nodes };
        var fanout = new Option<int>("--fanout") { Description = "gossip.fanout of every node; 0 = N − 1 (default).", DefaultValueFactory = _ => DemoOptions.Default.Fanout };
        var steps = new Option<int>("--steps") { Description = "Local steps per round (gossip.local_steps).", DefaultValueFactory = _ => DemoOptions.Default.LocalSteps };
        var lr = new Option<double>("--lr") { Description = "Learning rate of the nodes (learning.lr).", DefaultValueFactory = _ => DemoOptions.Default.LearningRate };
        var aloneSteps = new Option<int>("--local-only-steps") { Description = "Steps of each node's local-only baseline.", DefaultValueFactory = _ => DemoOptions.Default.LocalOnlySteps };
        var aloneBatch = new Option<int>("--local-only-batch") { Description = "Windows per step of the local-only baseline.", DefaultValueFactory = _ => DemoOptions.Default.LocalOnlyBatchSize };
        var evalBytes = new Option<int>("--eval-bytes") { Description = "Global held-out bytes scored per model for the summary.", DefaultValueFactory = _ => DemoOptions.Default.EvalBytes };
        var nodeEvalBytes = new Option<int>("--node-eval-bytes") { Description = "Held-out bytes each node scores per evaluation (learning.eval_bytes).", DefaultValueFactory = _ => DemoOptions.Default.NodeEvalBytes };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per node.", DefaultValueFactory = _ => DemoOptions.Default.Rounds };
        var period = new Option<double>("--period") { Description = "Seconds per round.", DefaultValueFactory = _ => DemoOptions.Default.PeriodSeconds };
        var sigma = new Option<double>("--dp-sigma") { Description = "DP noise multiplier σ: 0 = planned by each node so the run fits --epsilon (default), else ≥ 0.3 (the privacy ledger's floor).", DefaultValueFactory = _ => DemoOptions.Default.NoiseMultiplier };
        var level = new Option<string>("--privacy") { Description = "privacy.level of the nodes: record (default), node or off.", DefaultValueFactory = _ => DemoOptions.Default.PrivacyLevel };
        var epsilon = new Option<double>("--epsilon") { Description = "Privacy budget ε of each node for the whole run.", DefaultValueFactory = _ => DemoOptions.Default.EpsilonBudget };
        var batch = new Option<int>("--batch") { Description = "Expected records per DP-SGD step (learning.batch_size).", DefaultValueFactory = _ => DemoOptions.Default.BatchSize };
        var ffa = new Option<bool>("--ffa") { Description = "FFA-LoRA: A frozen at the mesh id's initialisation, only B trained, noised and exchanged.", DefaultValueFactory = _ => DemoOptions.Default.FrozenA };
        var rule = new Option<string>("--rule") { Description = "Merge rule.", DefaultValueFactory = _ => DemoOptions.Default.MergeRule };
        var output = new Option<string?>("--out") { Description = "Folder for node folders, logs, plot and summary (default: a new temp folder)." };
        var pretrainSteps = new Option<int>("--pretrain-steps") { Description = "Base-model pretraining steps (cached by value; the nodes use the same).", DefaultValueFactory = _ => DemoOptions.Default.PretrainSteps };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Base-model cache folder for the demo and its nodes (default: $FEDMESH_CACHE_DIR, $XDG_CACHE_HOME/fedmesh or ~/.cache/fedmesh)." };
        var json = new Option<bool>("--json") { Description = "Print only the summary, as JSON." };
        var baseDir = new Option<string?>("--base") { Description = "Hugging Face model folder every node adapts (learning.base); default: the built-in byte model." };
        var mode = new Option<string?>("--mode") { Description = "gossip.mode of the nodes: neighbours or flood (default: the daemon's, neighbours)." };
        var encoding = new Option<string?>("--encoding") { Description = $"gossip.encoding of the nodes: {string.Join(", ", Gossip.WireEncodings.Names)} (default: the daemon's, int8-wz)." };
        var command = new Command("demo", "Run a local mesh of node processes on the shipped SOTU corpus and compare base, local-only and mesh.")
        {
            nodes, rounds, period, sigma, level, epsilon, batch, ffa, rule, output, pretrainSteps, cacheDir, json, baseDir, mode, encoding,
            fanout, steps, lr, aloneSteps, aloneBatch, evalBytes, nodeEvalBytes,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var options = DemoOptions.Default with
            {
                Nodes = parse.GetValue(nodes),
                Fanout = parse.GetValue(fanout),
                LocalSteps = parse.GetValue(steps),
                LearningRate = parse.GetValue(lr),
                LocalOnlySteps = parse.GetValue(aloneSteps),
                LocalOnlyBatchSize = parse.GetValue(aloneBatch),
                EvalBytes = parse.GetValue(evalBytes),
                NodeEvalBytes = parse.GetValue(nodeEvalBytes),
                Rounds = parse.GetValue(rounds),
                PeriodSeconds = parse.GetValue(period),
                NoiseMultiplier = parse.GetValue(sigma),
                PrivacyLevel = parse.GetValue(level)!,
                EpsilonBudget = parse.GetValue(epsilon),
                BatchSize = parse.GetValue(batch),
                FrozenA = parse.GetValue(ffa),
                MergeRule = parse.GetValue(rule)!,
                OutputDirectory = parse.GetValue(output),
                PretrainSteps = parse.GetValue(pretrainSteps),
                CacheDirectory = parse.GetValue(cacheDir),
                Json = parse.GetValue(json),
                Base = parse.GetValue(baseDir) is { } folder ? Path.GetFullPath(folder) : DemoOptions.Default.Base,
                GossipMode = parse.GetValue(mode),
                Encoding = parse.GetValue(encoding),
            };
            if ((options.GossipMode is { } m && !Gossip.GossipModes.Names.Contains(m)) || (options.Encoding is { } e && !Gossip.WireEncodings.Names.Contains(e)))
            {
                Console.Error.WriteLine($"fedmesh-demo: --mode must be one of {string.Join(", ", Gossip.GossipModes.Names)}; --encoding one of {string.Join(", ", Gossip.WireEncodings.Names)}");
                return 2;
            }

            if (options.Nodes is < 2 or > DemoOptions.MaxNodes || options.Fanout is < 0 or > 64 || options.LocalSteps is < 1 or > 100_000
                || !(options.LearningRate is > 0 and <= 1) || options.LocalOnlySteps is < 1 or > 1_000_000 || options.LocalOnlyBatchSize is < 1 or > 4096
                || options.EvalBytes is < 1024 or > 64 * 1024 * 1024 || options.NodeEvalBytes is < 1024 or > 16 * 1024 * 1024 || options.Rounds is < 1 or > 10_000 || options.PeriodSeconds is < 1 or > 3600 || options.NoiseMultiplier < 0 || options.NoiseMultiplier is > 0 and < 0.3
                || options.PretrainSteps is < 1 or > 1_000_000 || Privacy.PrivacyLevels.Parse(options.PrivacyLevel) is null
                || !(options.EpsilonBudget > 0) || options.BatchSize is < 1 or > 4096)
            {
                Console.Error.WriteLine($"fedmesh-demo: --nodes must be 2..{DemoOptions.MaxNodes}, --fanout 0..64, --steps 1..100000, --lr in (0, 1], --local-only-steps 1..1000000, --local-only-batch 1..4096, --eval-bytes 1024..64 MiB, --node-eval-bytes 1024..16 MiB, --rounds 1..10000, --period 1..3600 s, --dp-sigma 0 or ≥ 0.3, --pretrain-steps 1..1000000, --privacy record|node|off, --epsilon > 0, --batch 1..4096");
                return 2;
            }

            if (options.Base != DemoOptions.Default.Base && !Learning.HuggingFace.HfBase.IsModelFolder(options.Base))
            {
                Console.Error.WriteLine($"fedmesh-demo: --base {options.Base}: not a Hugging Face model folder (no config.json)");
                return 2;
            }

            DemoSummary s = await new DemoRunner(options, AnsiConsole.Console).RunAsync(cancel).ConfigureAwait(false);
            if (options.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    base_bpc = Math.Round(s.BaseBpc, 4),
                    local_only_bpc = Math.Round(s.LocalOnlyBpc, 4),
                    local_only_steps = options.LocalOnlySteps,
                    local_only_batch = options.LocalOnlyBatchSize,
                    mesh_bpc = Math.Round(s.MeshBpc, 4),
                    rounds = s.Rounds,
                    seconds = Math.Round(s.Seconds, 1),
                    nodes = s.Nodes,
                    privacy_level = s.PrivacyLevel,
                    lora_frozen_a = s.FrozenA,
                    epsilon_budget = s.EpsilonBudget,
                    epsilon_spent = s.EpsilonSpent,
                    node_epsilons = s.NodeEpsilons.Select(e => Math.Round(e, 4)),
                    node_deltas = s.NodeDeltas,
                    node_noise_multipliers = s.NodeNoiseMultipliers,
                    node_sampling_rates = s.NodeSamplingRates.Select(q => Math.Round(q, 6)),
                    gossip_mode = options.GossipMode ?? new Configuration.GossipSection().Mode,
                    gossip_encoding = options.Encoding ?? new Configuration.GossipSection().Encoding,
                    busiest_node_bytes = s.BusiestNodeBytes,
                    fedavg_server_bytes = s.FedavgServerBytes,
                    fanout = options.EffectiveFanout,
                    node_mesh_bpc = s.NodeMeshBpc.Select(b => b is { } v ? Math.Round(v, 4) : (double?)null),
                    node_local_only_bpc = s.NodeLocalOnlyBpc.Select(b => Math.Round(b, 4)),
                    nodes_better_than_local_only = s.NodeMeshBpc.Zip(s.NodeLocalOnlyBpc).Count(p => p.First < p.Second),
                    node_bytes = s.NodeBytes,
                    node_peak_rss_mb = s.NodePeakRssBytes.Select(b => b / (1024 * 1024)),
                    node_max_peers = s.NodeMaxPeers,
                    plot = s.Plot,
                }));
                return 0;
            }

            var table = new Table().AddColumns("model (global held-out SOTU, every era)", "bits per byte");
            table.AddRow("base (no adapter)", s.BaseBpc.ToString("F4", CultureInfo.InvariantCulture));
            table.AddRow(string.Create(CultureInfo.InvariantCulture, $"local-only (each node alone, no privacy, {options.LocalOnlySteps} steps × {options.LocalOnlyBatchSize} windows; mean)"), s.LocalOnlyBpc.ToString("F4", CultureInfo.InvariantCulture));
            table.AddRow("mesh (FedMesh adapters; mean over nodes)", s.MeshBpc.ToString("F4", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            string privacy = s.PrivacyLevel == Privacy.PrivacyLevels.Off
                ? "differential privacy off (--privacy off): nothing charged to the privacy ledgers"
                : string.Create(CultureInfo.InvariantCulture,
                    $"{s.PrivacyLevel}-level DP (mesh nodes only; local-only trains without privacy): ε spent per node {string.Join(", ", s.NodeEpsilons.Select(e => e.ToString("F3", CultureInfo.InvariantCulture)))} of {s.EpsilonBudget} at δ ≤ {s.NodeDeltas.DefaultIfEmpty(0).Max():G3}; σ {string.Join(", ", s.NodeNoiseMultipliers)}");
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Nodes} nodes, {s.Rounds} rounds, {s.Seconds:F0} s; {privacy}"));
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"busiest node sent + received {s.BusiestNodeBytes:N0} wire bytes; a FedAvg server (fp32 payload) would move {s.FedavgServerBytes:N0} ({(double)s.BusiestNodeBytes / Math.Max(1, s.FedavgServerBytes):F3}×)"));
            AnsiConsole.WriteLine($"plot: {s.Plot}");
            AnsiConsole.WriteLine($"node folders, logs and summary.json: {s.OutputDirectory}");
            return 0;
        });
        return command;
    }
}
