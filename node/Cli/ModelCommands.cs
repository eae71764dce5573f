using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data;
using FedMesh.Node.Data.Redaction;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;

namespace FedMesh.Node.Cli;

/// <summary>
/// Using what the mesh learned: <c>fedmesh generate</c> (sample text from the base plus an adapter) and
/// <c>fedmesh eval</c> (bits per byte of the base, an exported adapter and the node's current adapter, side by side).
/// Exit codes: 0 ok, 1 the operation failed (bad model or adapter files), 2 bad usage or configuration.
/// </summary>
public static class ModelCommands
{
    public static Command Generate()
    {
        var shared = new Shared();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => GenerationOptions.Default.MaxTokens };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => GenerationOptions.Default.Temperature };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass.", DefaultValueFactory = _ => GenerationOptions.Default.TopP };
        var seed = new Option<int>("--seed") { Description = "Sampler seed.", DefaultValueFactory = _ => GenerationOptions.Default.Seed };
        var command = new Command("generate", "Continue a prompt with the base model plus the node's current adapter (or --adapter DIR).");
        shared.AddTo(command, prompt, maxTokens, temperature, topP, seed);
        command.SetAction(parse => shared.Run(parse, "generate", node =>
        {
            string? adapter = parse.GetValue(shared.Adapter) ?? CurrentAdapter(node.State);
            using Loaded loaded = Load(node.Options, parse.GetValue(shared.Base), adapter);
            string text = loaded.Learner.Generate(parse.GetValue(prompt)!, new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            });
            parse.InvocationConfiguration.Output.WriteLine(parse.GetValue(prompt) + text);
            return 0;
        }));
        return command;
    }

    public static Command Eval()
    {
        var shared = new Shared();
        var data = new Option<string>("--data") { Description = "Folder or file of text (.txt, .jsonl) to score.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("eval", "Bits per byte of the base, --adapter DIR and the node's current adapter on your own text.");
        shared.AddTo(command, data, json);
        command.SetAction(parse => shared.Run(parse, "eval", node =>
        {
            IReadOnlyList<string> documents = ReadDocuments(parse.GetValue(data)!, node.Options.Data);
            string? given = parse.GetValue(shared.Adapter);
            string? current = CurrentAdapter(node.State);
            var rows = new List<(string Name, Evaluation Score)>();
            using (Loaded loaded = Load(node.Options, parse.GetValue(shared.Base), given ?? current))
            {
                rows.Add(("base", loaded.Learner.EvaluateBase(documents)));
                if (given is not null)
                {
                    rows.Add(($"adapter {given}", loaded.Learner.Evaluate(documents)));
                }

                if (current is not null && current != given)
                {
                    if (given is not null)
                    {
                        loaded.Base.LoadAdapter(current, loaded.Learner);
                    }

                    rows.Add(($"node {current}", loaded.Learner.Evaluate(documents)));
                }

                TextWriter output = parse.InvocationConfiguration.Output;
                if (parse.GetValue(json))
                {
                    output.WriteLine(JsonSerializer.Serialize(new
                    {
                        @base = loaded.Base.Describe(),
                        base_sha256 = loaded.Base.HashHex,
                        bytes = rows[0].Score.Bytes,
                        results = rows.Select(r => new { name = r.Name, bits_per_byte = Math.Round(r.Score.BitsPerByte, 4) }),
                    }));
                }
                else
                {
                    output.WriteLine($"base {loaded.Base.Describe()}, {rows[0].Score.Bytes} bytes scored");
                    foreach ((string name, Evaluation score) in rows)
                    {
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {score.BitsPerByte,8:F4} bits/byte  {name}"));
                    }
                }
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The node's latest adapter (written after each round), if there is one.</summary>
    private static string? CurrentAdapter(Storage.StatePaths? state) =>
        state is not null && File.Exists(Path.Combine(state.Adapter, AdapterCheckpoint.ConfigFile)) ? state.Adapter : null;

    /// <summary>The base of the configuration (or --base), a scoring-only learner whose schema fits the adapter, the adapter loaded.</summary>
    internal static Loaded Load(NodeOptions options, string? baseOverride, string? adapter)
    {
        LearningSection learning = baseOverride is null ? options.Learning : options.Learning with { Base = Path.GetFullPath(baseOverride) };
        (LoraOptions lora, TrainerOptions trainer) = NodeFactory.LearnerOptions(learning, options.Network.MeshId);
        LearningBase learningBase = LearningBase.Resolve(learning.Base, learning.Context, () => BaseModelCache.GetOrCreate(
            PretrainOptions.Default with { Model = NodeFactory.ModelSizes[learning.ModelSize], Steps = learning.PretrainSteps }));
        try
        {
            if (adapter is not null)
            {
                lora = learningBase.AdapterLora(adapter, lora);
            }

            TorchLearner learner = learningBase.CreateLearner(lora, trainer, []);
            try
            {
                if (adapter is not null)
                {
                    learningBase.LoadAdapter(adapter, learner);
                }

                return new Loaded(learningBase, learner, lora);
            }
            catch
            {
                learner.Dispose();
                throw;
            }
        }
        catch
        {
            learningBase.Dispose();
            throw;
        }
    }

    /// <summary>Documents of a folder, or of one file, read by the node's own loader (same formats, redaction and caps).</summary>
    private static IReadOnlyList<string> ReadDocuments(string path, DataSection data)
    {
        var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(NodeFactory.Redaction(data)));
        if (Directory.Exists(path))
        {
            return loader.Load(path).Documents.Select(d => d.Text).ToArray();
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--data {path}: no such folder or file", path);
        }

        DirectoryInfo single = Directory.CreateTempSubdirectory("fedmesh-eval-");
        try
        {
            File.Copy(path, Path.Combine(single.FullName, Path.GetFileName(path)));
            IReadOnlyList<string> documents = loader.Load(single.FullName).Documents.Select(d => d.Text).ToArray();
            return documents.Count > 0 ? documents : throw new InvalidDataException($"--data {path}: no usable text (supported: .txt, .jsonl)");
        }
        finally
        {
            single.Delete(recursive: true);
        }
    }

    /// <summary>A loaded base with a scoring learner; disposes both (learner first).</summary>
    internal sealed record Loaded(LearningBase Base, TorchLearner Learner, LoraOptions Lora) : IDisposable
    {
        public void Dispose()
        {
            Learner.Dispose();
            Base.Dispose();
        }
    }

    /// <summary>--config, --state-dir, --base, --adapter, and the error handling every model command shares.</summary>
    private sealed class Shared
    {
        public Option<string?> Config { get; } = NodeLocator.ConfigOption();

        public Option<string?> StateDir { get; } = NodeLocator.StateDirOption();

        public Option<string?> Base { get; } = new("--base") { Description = "Hugging Face model folder (default: learning.base of the configuration)." };

        public Option<string?> Adapter { get; } = new("--adapter") { Description = "Adapter folder (PEFT or FedMesh export); default: the node's current adapter." };

        public void AddTo(Command command, params Option[] extra)
        {
            foreach (Option o in new Option[] { Config, StateDir, Base, Adapter }.Concat(extra))
            {
                command.Options.Add(o);
            }
        }

        public int Run(ParseResult parse, string name, Func<NodeLocation, int> body)
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!NodeLocator.TryResolve(parse.GetValue(Config), parse.GetValue(StateDir), requireConfig: false, requireState: false, out NodeLocation? node, out string problem))
            {
                error.WriteLine($"fedmesh {name}: {problem}");
                return 2;
            }

            try
            {
                return body(node);
            }
            catch (ConfigException e)
            {
                error.WriteLine($"fedmesh {name}: {e.Message}");
                return 2;
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"fedmesh {name}: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                error.WriteLine($"fedmesh {name}: {e.Message}");
                return 1;
            }
        }
    }
}
