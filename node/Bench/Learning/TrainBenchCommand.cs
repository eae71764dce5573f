using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FedMesh.Node.Learning.Cli;

/// <summary>`fedmesh-bench train`: LoRA training steps/s and tokens/s of the default model.</summary>
public static class TrainBenchCommand
{
    public static Command Create()
    {
        var shared = new LearningCliOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var steps = new Option<int>("--steps") { Description = "Timed steps", DefaultValueFactory = _ => TrainBenchmarkOptions.Default.Steps };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps", DefaultValueFactory = _ => TrainBenchmarkOptions.Default.WarmupSteps };
        var rank = new Option<int>("--rank") { Description = "LoRA rank", DefaultValueFactory = _ => LoraOptions.Default.Rank };
        var corpus = new Option<string?>("--corpus") { Description = "Training corpus (default: shipped Moby-Dick)" };
        var dp = new Option<bool>("--dp") { Description = "Also time record-level DP-SGD steps at the demo's settings (adapter, batch, C) and report dp_overhead" };
        var baseDir = new Option<string?>("--base") { Description = "Hugging Face model folder to train on (windows of --context tokens); default: the built-in byte model" };
        var modules = new Option<string[]>("--lora-modules") { Description = "PEFT module names to adapt on --base (default: q and v, i.e. c_attn or q_proj v_proj)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("train", "LoRA training throughput (steps/s, tokens/s) of the default model or of a Hugging Face base.");
        shared.AddTo(command, json, steps, warmup, rank, corpus, dp, baseDir, modules);
        command.SetAction((ParseResult r) => LearningCliOptions.Guard(() =>
        {
            var options = new TrainBenchmarkOptions
            {
                Model = shared.Model(r),
                Lora = LoraOptions.Default with { Rank = r.GetValue(rank) },
                Trainer = shared.Trainer(r, TrainerOptions.Default),
                Steps = r.GetValue(steps),
                WarmupSteps = r.GetValue(warmup),
            };
            options.Model.Validate();
            options.Trainer.Validate();
            IReadOnlyList<string> documents = CorpusFiles.ReadTexts(r.GetValue(corpus) ?? CorpusFiles.MobyDick);
            if (r.GetValue(dp))
            {
                // The demo's adapter, batch and clip norm; σ does not change the step's cost (one noise draw per
                // adapter coordinate whatever its scale), 1.0 stands for it. Records: paragraphs, as in the demo.
                Demo.DemoOptions demo = Demo.DemoOptions.Default;
                TrainBenchmarkOptions dpOptions = options with
                {
                    Lora = LoraOptions.Default with { Rank = demo.LoraRank, Alpha = 2f * demo.LoraRank, Targets = NodeTargets(demo.LoraTargets) },
                    Trainer = options.Trainer with { BatchSize = demo.BatchSize, LearningRate = (float)demo.LearningRate },
                };
                DpOverheadResult overhead = TrainBenchmark.RunDpOverhead(
                    dpOptions, documents, Data.Corpora.TextRecords.Paragraphs(documents, demo.RecordChars), new DpSgdOptions { ClipNorm = demo.ClipNorm, NoiseMultiplier = 1.0 }, TimeProvider.System);
                Console.WriteLine(r.GetValue(json) ? ToJson(overhead) : ToText(overhead));
                return 0;
            }

            if (r.GetValue(baseDir) is { } hfDirectory)
            {
                string[] named = r.GetValue(modules) ?? [];
                TrainBenchmarkOptions hfOptions = options with { Lora = options.Lora with { Alpha = 2f * options.Lora.Rank, Modules = named.Length > 0 ? named : null } };
                HfTrainBenchmarkResult hf = TrainBenchmark.RunHf(hfOptions, hfDirectory, documents, TimeProvider.System);
                Console.WriteLine(r.GetValue(json) ? FedMesh.Node.Cli.BenchMachine.Json(ToJson(hf), torch: true) : ToText(hf.Train) + string.Create(CultureInfo.InvariantCulture,
                    $"; base {hf.Base} loaded in {hf.LoadSeconds:F2} s (weights {hf.ReadSeconds:F2} s; {hf.StartupSeconds:F2} s after process start); LoRA on {hf.Modules}; peak RSS {hf.PeakRssBytes / (1024 * 1024)} MB"));
                return 0;
            }

            TrainBenchmarkResult result = TrainBenchmark.Run(options, documents, TimeProvider.System);
            Console.WriteLine(r.GetValue(json) ? FedMesh.Node.Cli.BenchMachine.Json(ToJson(result), torch: true) : ToText(result));
            return 0;
        }));
        return command;
    }

    private static LoraTargets NodeTargets(IReadOnlyList<string> names) =>
        LoraTargetNames.TryParse(names, out LoraTargets targets, out string? unknown) ? targets : throw new ArgumentException($"unknown LoRA target {unknown}");

    private static string ToJson(DpOverheadResult x)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("dp_overhead", Math.Round(x.Overhead, 3));
            w.WriteNumber("steps_s", Math.Round(x.Plain.StepsPerSecond, 2));
            w.WriteNumber("dp_steps_s", Math.Round(x.Private.StepsPerSecond, 2));
            w.WriteNumber("batch", x.Plain.BatchSize);
            w.WriteNumber("context", x.Plain.Context);
            w.WriteNumber("params_trainable", x.Plain.ParametersTrainable);
            w.WriteNumber("threads", x.Plain.Threads);
            w.WriteNumber("steps", x.Plain.Steps);
            w.WriteNumber("records", x.Records);
            w.WriteNumber("sampling_rate", Math.Round(x.SamplingRate, 6));
            w.WriteNumber("clip_norm", x.Dp.ClipNorm);
            w.WriteString("per_example_gradients", "per-example LoRA factor copies (exact, one backward pass)");
            w.WriteNumber("seconds", Math.Round(x.Plain.Seconds + x.Private.Seconds, 3));
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToText(DpOverheadResult x) => string.Create(CultureInfo.InvariantCulture,
        $"DP-SGD overhead {x.Overhead:F2}× ({x.Private.StepsPerSecond:F1} DP steps/s vs {x.Plain.StepsPerSecond:F1} non-private steps/s; batch {x.Plain.BatchSize}×{x.Plain.Context}, " +
        $"{x.Plain.ParametersTrainable} adapter parameters, {x.Records} records, q {x.SamplingRate:G4}, {x.Plain.Threads} threads, {x.Plain.Steps} steps each)");

    private static string ToJson(HfTrainBenchmarkResult x)
    {
        string train = ToJson(x.Train);
        string extra = JsonSerializer.Serialize(new { base_model = x.Base, lora_modules = x.Modules, load_s = Math.Round(x.LoadSeconds, 3), load_read_s = Math.Round(x.ReadSeconds, 3), startup_to_loaded_s = Math.Round(x.StartupSeconds, 3), peak_rss_mb = x.PeakRssBytes / (1024 * 1024) });
        return train[..^1] + "," + extra[1..];
    }

    private static string ToJson(TrainBenchmarkResult x)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("steps_s", Math.Round(x.StepsPerSecond, x.StepsPerSecond < 1 ? 5 : 2)); // 5 decimals for sub-1 rates (a 124 M base on a loaded machine)
            w.WriteNumber("tokens_s", Math.Round(x.TokensPerSecond));
            w.WriteNumber("threads", x.Threads);
            w.WriteNumber("params_total", x.ParametersTotal);
            w.WriteNumber("params_trainable", x.ParametersTrainable);
            w.WriteNumber("steps", x.Steps);
            w.WriteNumber("batch", x.BatchSize);
            w.WriteNumber("context", x.Context);
            w.WriteNumber("seconds", Math.Round(x.Seconds, 3));
            w.WriteNumber("loss_first", Math.Round(x.FirstLoss, 4));
            w.WriteNumber("loss_last", Math.Round(x.LastLoss, 4));
            w.WriteNumber("rss_mb", x.WorkingSetBytes / (1024 * 1024));
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToText(TrainBenchmarkResult x) => string.Create(CultureInfo.InvariantCulture,
        $"LoRA training: {x.StepsPerSecond:F1} steps/s, {x.TokensPerSecond:F0} tokens/s ({x.Threads} threads, batch {x.BatchSize}×{x.Context}, " +
        $"{x.ParametersTrainable} of {x.ParametersTotal} parameters trainable, {x.Steps} steps in {x.Seconds:F2} s, RSS {x.WorkingSetBytes / (1024 * 1024)} MB)");
}
