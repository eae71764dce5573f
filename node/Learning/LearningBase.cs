using FedMesh.Node.Learning.HuggingFace;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Learning;

/// <summary>
/// The frozen base a node learns on, as <c>learning.base</c> names it: "builtin" (the byte-level model, pretrained
/// into the shared cache), a base checkpoint file that <c>fedmesh pretrain --out</c> wrote, or a Hugging Face model
/// folder. Owns what it loaded; learners made from it must be disposed first.
/// </summary>
public sealed class LearningBase : IDisposable
{
    /// <summary>The value of learning.base that selects the built-in byte-level model.</summary>
    public const string Builtin = Configuration.LearningSection.BuiltinBase;

    /// <summary>Tokens per window on a Hugging Face base: 128 keeps a GPT-2-small LoRA step of batch 4 near a second on 2 cores.</summary>
    public const int DefaultContext = 128;

    private LearningBase(BaseModel? builtin, HfBase? hf, int context)
    {
        Bytes = builtin;
        Hf = hf;
        Context = context;
    }

    /// <summary>The byte-level base, or null.</summary>
    public BaseModel? Bytes { get; }

    /// <summary>The Hugging Face base, or null.</summary>
    public HfBase? Hf { get; }

    /// <summary>Tokens per window (bytes for the built-in model).</summary>
    public int Context { get; }

    public string HashHex => Hf?.HashHex ?? Bytes!.HashHex;

    /// <summary>"builtin 0.47 M" or "llama, 12 layers × 768 …" for logs.</summary>
    public string Describe() => Hf is { } hf ? $"{hf.Config} from {hf.Directory}" : $"byte-level {Bytes!.ParameterCount} parameters";

    public static LearningBase FromBytes(BaseModel model) => new(model, null, model.Options.Context);

    /// <summary>Wraps a loaded Hugging Face base (taking ownership).</summary>
    public static LearningBase FromHf(HfBase model, int context) => new(null, model, Math.Min(context, model.Config.MaxPositions));

    /// <summary>
    /// Resolves learning.base: <see cref="Builtin"/> gives the cached pretrained byte model (<paramref name="builtin"/>
    /// makes it), a folder with config.json a Hugging Face base, a file a checkpoint written by fedmesh pretrain.
    /// </summary>
    public static LearningBase Resolve(string setting, int context, Func<BaseModel> builtin)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(builtin);
        if (setting == Builtin)
        {
            return FromBytes(builtin());
        }

        if (Directory.Exists(setting))
        {
            return HfBase.IsModelFolder(setting)
                ? FromHf(HfBase.Load(setting), context)
                : throw new InvalidDataException($"learning.base {setting}: the folder has no config.json (a Hugging Face model folder does)");
        }

        return File.Exists(setting)
            ? FromBytes(BaseModel.Load(setting))
            : throw new FileNotFoundException($"learning.base {setting}: no such folder or file (\"builtin\", a Hugging Face model folder, or a checkpoint from fedmesh pretrain --out)", setting);
    }

    /// <summary>A learner over this base.</summary>
    public TorchLearner CreateLearner(LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> documents, ILogger? logger = null) =>
        Hf is { } hf
            ? new TorchLearner(hf, lora, trainer, documents, Context, logger)
            : new TorchLearner(Bytes!, lora, trainer, documents, logger);

    /// <summary>A learner whose DP-SGD noise and Poisson batches come from generators seeded with
    /// <paramref name="dpSeed"/> (reproducible simulations; see <c>NodeHooks.DpSeed</c>).</summary>
    internal TorchLearner CreateLearner(LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> documents, ILogger? logger, ulong dpSeed)
    {
        // Two independent streams: the noise and the sampling must not be the same draws.
        var noise = Privacy.GaussianNoiseSource.CreateSeeded(dpSeed);
        var sampling = new Privacy.Internal.Xoshiro256StarStar(dpSeed ^ SamplingStream);
        return Hf is { } hf
            ? new TorchLearner(hf, lora, trainer, documents, Context, logger, noise, sampling)
            : new TorchLearner(Bytes!, lora, trainer, documents, logger, noise, sampling);
    }

    /// <summary>Separates the seeded sampling stream from the noise stream (an arbitrary odd constant: the 64-bit golden ratio).</summary>
    private const ulong SamplingStream = 0x9E3779B97F4A7C15;

    /// <summary>
    /// LoRA options of an adapter folder (PEFT's adapter_config.json or FedMesh's adapter.json), so a learner can be
    /// built with the schema the adapter has.
    /// </summary>
    public LoraOptions AdapterLora(string directory, LoraOptions fallback)
    {
        if (PeftAdapter.IsPeft(directory))
        {
            return Hf is { } hf
                ? PeftAdapter.Load(directory, hf).Lora
                : throw new InvalidDataException($"{directory}: a PEFT adapter needs a Hugging Face base (learning.base is builtin)");
        }

        return File.Exists(Path.Combine(directory, AdapterCheckpoint.ConfigFile)) ? AdapterCheckpoint.Load(directory).Lora with { Modules = fallback.Modules } : fallback;
    }

    /// <summary>Loads a PEFT or FedMesh adapter folder into <paramref name="learner"/> after checking it fits this base.</summary>
    public void LoadAdapter(string directory, TorchLearner learner)
    {
        ArgumentNullException.ThrowIfNull(learner);
        if (PeftAdapter.IsPeft(directory))
        {
            if (Hf is null)
            {
                throw new InvalidDataException($"{directory}: a PEFT adapter needs a Hugging Face base (learning.base is builtin)");
            }

            (_, Protocol.Deltas.AdapterSchema schema, float[] adapter) = PeftAdapter.Load(directory, Hf);
            if (!schema.Hash.AsSpan().SequenceEqual(learner.Schema.Hash))
            {
                throw new InvalidDataException($"{directory}: the adapter's r/target_modules give schema {schema.HashHex[..12]}…, the node's LoRA settings {learner.Schema.HashHex[..12]}…");
            }

            learner.SetAdapter(adapter);
            return;
        }

        AdapterCheckpoint.LoadInto(directory, learner);
    }

    /// <summary>Writes the learner's adapter: "peft" (Hugging Face base only) or "fedmesh".</summary>
    public void SaveAdapter(string directory, TorchLearner learner, LoraOptions lora, string format, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        switch (format)
        {
            case "peft" when Hf is { } hf:
                PeftAdapter.Save(directory, hf, lora, learner.Schema, learner.GetAdapter(), unixMode);
                break;
            case "peft":
                throw new InvalidDataException("--format peft needs a Hugging Face base: the built-in byte model has no PEFT counterpart");
            case "fedmesh":
                Directory.CreateDirectory(directory);
                AdapterCheckpoint.Save(directory, learner, lora, unixMode);
                break;
            default:
                throw new ArgumentException($"format must be peft or fedmesh, got \"{format}\"");
        }
    }

    public void Dispose() => Hf?.Dispose();
}
