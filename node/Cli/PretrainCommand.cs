using System.CommandLine;
using System.Globalization;

namespace FedMesh.Node.Learning.Cli;

/// <summary>`fedmesh pretrain`: trains the shared base model and writes its checkpoint and hash.</summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        // The base's own trainer defaults (one thread, its seed): what the daemon and the demo pretrain with.
        var shared = new LearningCliOptions(PretrainOptions.Default.Trainer);
        var corpus = new Option<string?>("--corpus") { Description = "gzip JSON-lines corpus with a \"text\" field (default: shipped Moby-Dick)" };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => PretrainOptions.Default.Steps };
        var lr = new Option<float>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => PretrainOptions.Default.Trainer.LearningRate };
        var output = new Option<string?>("--out") { Description = "Checkpoint path (default: the base-model cache, reused if present)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = $"Cache directory (default: ${BaseModelCache.DirectoryVariable}, $XDG_CACHE_HOME/fedmesh or ~/.cache/fedmesh)" };
        var command = new Command("pretrain", "Pretrain the byte-level base model and write safetensors + SHA-256.");
        shared.AddTo(command, corpus, steps, lr, output, cacheDir);
        command.SetAction((ParseResult r, CancellationToken ct) => Task.FromResult(LearningCliOptions.Guard(() =>
        {
            var options = new PretrainOptions
            {
                Model = shared.Model(r),
                CorpusPath = r.GetValue(corpus),
                Steps = r.GetValue(steps),
                Trainer = shared.Trainer(r, PretrainOptions.Default.Trainer) with { LearningRate = r.GetValue(lr) },
            };
            options.Validate();
            var progress = new ConsoleProgress(TimeProvider.System);
            string? outPath = r.GetValue(output);
            BaseModel model;
            string path;
            if (outPath is null)
            {
                path = BaseModelCache.PathFor(options, r.GetValue(cacheDir) ?? BaseModelCache.DefaultDirectory);
                model = BaseModelCache.GetOrCreate(options, r.GetValue(cacheDir), progress, cancellationToken: ct);
            }
            else
            {
                path = outPath;
                model = Pretrainer.Train(options, progress, ct);
                model.Save(path);
            }

            progress.Finish();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}\nparameters {model.ParameterCount}\nsha256 {model.HashHex}"));
            return 0;
        })));
        return command;
    }

    /// <summary>Rewrites one status line on stderr: step, loss in bits per byte, speed.</summary>
    private sealed class ConsoleProgress(TimeProvider time) : IProgress<PretrainProgress>
    {
        private readonly long _start = time.GetTimestamp();
        private bool _wrote;

        public void Report(PretrainProgress value)
        {
            double seconds = time.GetElapsedTime(_start).TotalSeconds;
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\rstep {value.Step,7}/{value.TotalSteps}  loss {LanguageModelMath.BitsPerByte(value.Loss):F3} bits/byte  {value.Step / Math.Max(seconds, 1e-9):F1} steps/s   "));
            _wrote = true;
        }

        public void Finish()
        {
            if (_wrote)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
