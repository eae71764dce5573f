using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Demo;

/// <summary>
/// <c>fedmesh bench dp-mesh [--levels record,node,off] [--epsilons 1,4,8] [--seeds 3] [--rounds …] [--batch …] [--json]</c>:
/// the demo's setting in process (<see cref="PrivateMeshSimulation"/>), one run per (level, ε, seed); prints mesh and
/// local-only bits per byte per run and mean ± sd per cell.
/// </summary>
public static class PrivateMeshBenchCommand
{
    public static Command Create()
    {
        DemoOptions d = PrivateMeshSimulation.DemoDefaults;
        var levels = new Option<string>("--levels") { Description = "Comma-separated privacy levels: record, node, off; prefix ffa: for FFA-LoRA (e.g. ffa:record).", DefaultValueFactory = _ => PrivacyLevels.Record };
        var epsilons = new Option<string>("--epsilons") { Description = "Comma-separated ε budgets per node for the whole run (ignored for off).", DefaultValueFactory = _ => d.EpsilonBudget.ToString(CultureInfo.InvariantCulture) };
        var seeds = new Option<int>("--seeds") { Description = "Runs per cell (seeds F..F+N-1, F = --first-seed).", DefaultValueFactory = _ => 1 };
        var firstSeed = new Option<int>("--first-seed") { Description = "The first seed (so one table's seeds can run as separate invocations and be pooled from their JSON runs).", DefaultValueFactory = _ => 1 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds.", DefaultValueFactory = _ => d.Rounds };
        var steps = new Option<int>("--steps") { Description = "Local steps per round.", DefaultValueFactory = _ => d.LocalSteps };
        var batch = new Option<int>("--batch") { Description = "Expected records per DP-SGD step (windows per step without DP).", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var clip = new Option<double>("--clip") { Description = "Clip norm C.", DefaultValueFactory = _ => d.ClipNorm };
        var recordChars = new Option<int>("--record-chars") { Description = "Least characters of a paragraph record (the privacy unit).", DefaultValueFactory = _ => d.RecordChars };
        var targets = new Option<string>("--targets") { Description = "Comma-separated LoRA targets (q, k, v, o, mlp_up, mlp_down); the local-only baseline uses the same.", DefaultValueFactory = _ => string.Join(',', d.LoraTargets) };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r (α = 2r).", DefaultValueFactory = _ => d.LoraRank };
        var rule = new Option<string>("--rule") { Description = "Merge rule: mean or trimmed_mean.", DefaultValueFactory = _ => d.MergeRule };
        var evalEvery = new Option<int>("--eval-every") { Description = "Score the mesh every N rounds (0 = at the end only).", DefaultValueFactory = _ => 0 };
        var noLocal = new Option<bool>("--no-local-only") { Description = "Skip the local-only baselines." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("dp-mesh", "The demo's mesh in process under record/node/no DP: mesh and local-only bits per byte per ε and seed.")
        {
            levels, epsilons, seeds, firstSeed, rounds, steps, batch, lr, clip, recordChars, targets, rank, rule, evalEvery, noLocal, json,
        };
        command.SetAction((ParseResult r) =>
        {
            string[] levelNames = r.GetValue(levels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            double[] eps = r.GetValue(epsilons)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(e => double.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN).ToArray();
            DemoOptions demo = d with
            {
                Rounds = r.GetValue(rounds),
                LocalSteps = r.GetValue(steps),
                BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr),
                ClipNorm = r.GetValue(clip),
                RecordChars = r.GetValue(recordChars),
                MergeRule = r.GetValue(rule)!,
                LoraTargets = r.GetValue(targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                LoraRank = r.GetValue(rank),
            };
            if (levelNames.Length == 0 || levelNames.Any(l => PrivacyLevels.Parse(Unprefixed(l)) is null) || eps.Length == 0 || eps.Any(e => !(e > 0) || !double.IsFinite(e))
                || r.GetValue(seeds) is < 1 or > 100 || r.GetValue(firstSeed) is < 1 or > 1_000_000 || demo.Rounds is < 1 or > 10_000 || demo.LocalSteps is < 1 or > 10_000 || demo.BatchSize is < 1 or > 4096
                || !(demo.LearningRate > 0) || !(demo.ClipNorm > 0) || demo.RecordChars is < 1 or > 100_000 || !PrivateMeshSimulation.MergeRules.Contains(demo.MergeRule) || r.GetValue(evalEvery) < 0
                || demo.LoraTargets.Count == 0 || !Learning.LoraTargetNames.TryParse(demo.LoraTargets, out _, out _) || demo.LoraRank is < 1 or > 64)
            {
                Console.Error.WriteLine("fedmesh bench dp-mesh: --levels record|node|off[,…], --epsilons finite numbers > 0, --seeds 1..100, --first-seed 1..1000000, --rounds 1..10000, --steps 1..10000, --batch 1..4096, --lr > 0, --clip > 0, --record-chars 1..100000, --rule mean|trimmed_mean, --eval-every >= 0, --targets of q,k,v,o,mlp_up,mlp_down, --rank 1..64");
                return 2;
            }

            var runs = new List<PrivateMeshResult>();
            // The local-only baseline does not depend on the mesh's level or ε: trained once per (seed, FFA-LoRA).
            var localOnly = new Dictionary<(int Seed, bool FrozenA), double>();
            // Seeds outermost: every cell has one run before any has two, so a run cut short still covers the table.
            int first = r.GetValue(firstSeed);
            for (int seed = first; seed < first + r.GetValue(seeds); seed++)
            {
                foreach (string level in levelNames)
                {
                    foreach (double e in Unprefixed(level) == PrivacyLevels.Off ? eps.Take(1) : eps)
                    {
                        var options = new PrivateMeshOptions
                        {
                            Demo = demo with { EpsilonBudget = e, FrozenA = IsFfa(level) },
                            Level = Unprefixed(level),
                            Seed = seed,
                            LocalOnly = false,
                            EvalEvery = r.GetValue(evalEvery),
                        };
                        PrivateMeshResult run = PrivateMeshSimulation.Run(options, Console.Error.WriteLine, CancellationToken.None);
                        if (!r.GetValue(noLocal))
                        {
                            var key = (seed, options.Demo.FrozenA);
                            if (!localOnly.TryGetValue(key, out double bpc))
                            {
                                localOnly[key] = bpc = PrivateMeshSimulation.LocalOnlyBpc(options.Demo, seed, CancellationToken.None);
                            }

                            run = run with { LocalOnlyBpc = bpc };
                        }

                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{run.Label} ε={run.Epsilon:G4} seed {seed}: mesh {run.MeshBpc:F4}, local-only {run.LocalOnlyBpc:F4}, base {run.BaseBpc:F4}, σ {string.Join('/', run.NoiseMultipliers.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))}, q {run.SamplingRates.Average():F4}, {run.Seconds:F0} s"));
                        runs.Add(run);
                    }
                }
            }

            Console.WriteLine(r.GetValue(json) ? ToJson(demo, runs) : ToText(runs));
            return 0;
        });
        return command;
    }

    /// <summary>A level token's prefix for FFA-LoRA runs.</summary>
    private const string FfaPrefix = "ffa:";

    /// <summary>The level without its "ffa:" prefix.</summary>
    public static string Unprefixed(string level) => IsFfa(level) ? level[FfaPrefix.Length..] : level;

    /// <summary>Whether a level token asks for FFA-LoRA.</summary>
    public static bool IsFfa(string level) => level.StartsWith(FfaPrefix, StringComparison.Ordinal);

    /// <summary>Mean and sample standard deviation (0 for one value).</summary>
    public static (double Mean, double Sd) MeanSd(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return (double.NaN, double.NaN);
        }

        double mean = values.Average();
        double sd = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, sd);
    }

    private static IEnumerable<IGrouping<(string Level, double Epsilon), PrivateMeshResult>> Cells(IReadOnlyList<PrivateMeshResult> runs) =>
        runs.GroupBy(x => (x.Label, x.Epsilon));

    private static string ToText(IReadOnlyList<PrivateMeshResult> runs) => string.Join(Environment.NewLine, Cells(runs).Select(c =>
    {
        (double m, double ms) = MeanSd(c.Select(x => x.MeshBpc).ToArray());
        (double l, double ls) = MeanSd(c.Select(x => x.LocalOnlyBpc).ToArray());
        return string.Create(CultureInfo.InvariantCulture, $"{c.Key.Level,-7} ε={c.Key.Epsilon,-8:G4} mesh {m:F4} ± {ms:F4}  local-only {l:F4} ± {ls:F4}  ({c.Count()} seeds)");
    }));

    private static string ToJson(DemoOptions demo, IReadOnlyList<PrivateMeshResult> runs)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("nodes", demo.Nodes);
            w.WriteNumber("rounds", demo.Rounds);
            w.WriteNumber("local_steps", demo.LocalSteps);
            w.WriteNumber("batch", demo.BatchSize);
            w.WriteNumber("lr", demo.LearningRate);
            w.WriteNumber("clip_norm", demo.ClipNorm);
            w.WriteNumber("record_chars", demo.RecordChars);
            w.WriteNumber("local_only_steps", demo.LocalOnlySteps);
            w.WriteNumber("local_only_batch", demo.LocalOnlyBatchSize);
            w.WriteNumber("local_only_lr", demo.LocalOnlyLearningRate);
            w.WriteString("merge_rule", demo.MergeRule);
            w.WriteString("lora_targets", string.Join(',', demo.LoraTargets));
            w.WriteNumber("lora_rank", demo.LoraRank);
            w.WriteStartArray("cells");
            foreach (var c in Cells(runs))
            {
                (double m, double ms) = MeanSd(c.Select(x => x.MeshBpc).ToArray());
                (double l, double ls) = MeanSd(c.Select(x => x.LocalOnlyBpc).ToArray());
                w.WriteStartObject();
                w.WriteString("level", c.Key.Level);
                WriteNumberOrNull(w, "epsilon", c.Key.Epsilon);
                WriteNumberOrNull(w, "mesh_bpc_mean", m);
                WriteNumberOrNull(w, "mesh_bpc_sd", ms);
                WriteNumberOrNull(w, "local_only_bpc_mean", l);
                WriteNumberOrNull(w, "local_only_bpc_sd", ls);
                w.WriteNumber("seeds", c.Count());
                w.WriteStartArray("runs");
                foreach (PrivateMeshResult x in c)
                {
                    w.WriteStartObject();
                    w.WriteNumber("seed", x.Seed);
                    w.WriteNumber("base_bpc", Math.Round(x.BaseBpc, 4));
                    w.WriteNumber("mesh_bpc", Math.Round(x.MeshBpc, 4));
                    WriteNumberOrNull(w, "local_only_bpc", x.LocalOnlyBpc);
                    w.WriteNumber("delta", x.Delta);
                    WriteArray(w, "node_epsilons", x.NodeEpsilons);
                    WriteArray(w, "noise_multipliers", x.NoiseMultipliers);
                    WriteArray(w, "sampling_rates", x.SamplingRates);
                    WriteArray(w, "records", x.Records.Select(n => (double)n).ToArray());
                    w.WriteNumber("seconds", Math.Round(x.Seconds, 1));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, Math.Round(value, 4));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WriteStartArray(name);
        foreach (double v in values)
        {
            w.WriteNumberValue(Math.Round(v, 6));
        }

        w.WriteEndArray();
    }
}
