using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FedMesh.Node.Learning.Cli;

/// <summary>`fedmesh bench train`: LoRA training steps/s and tokens/s of the default model.</summary>
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
        var command = new Command("train", "LoRA training throughput (steps/s, tokens/s) of the default model.");
        shared.AddTo(command, json, steps, warmup, rank, corpus);
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
            TrainBenchmarkResult result = TrainBenchmark.Run(options, documents, TimeProvider.System);
            Console.WriteLine(r.GetValue(json) ? FedMesh.Node.Cli.BenchMachine.Json(ToJson(result), torch: true) : ToText(result));
            return 0;
        }));
        return command;
    }

    private static string ToJson(TrainBenchmarkResult x)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("steps_s", Math.Round(x.StepsPerSecond, 2));
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
