using System.IO.Compression;
using System.Text.Json;
using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Learning;

/// <summary>
/// A tiny base model (1 layer, width 32, context 32) pretrained briefly on Moby-Dick, shared by the learning
/// tests so the cost is paid once per test run; plus SOTU slices for adaptation.
/// </summary>
public sealed class LearningFixture
{
    public static readonly ModelOptions TinyModel = new() { Layers = 1, Width = 32, Heads = 2, Context = 32 };

    public static readonly TrainerOptions TinyTrainer = TrainerOptions.Default with { BatchSize = 8, Threads = 1, Seed = 7 };

    public LearningFixture()
    {
        MobyDick = ReadTexts("moby-dick.jsonl.gz");
        IReadOnlyList<string> sotu = ReadTexts("sotu.jsonl.gz");
        // Two addresses for local training, a third (different year) held out: unseen text of the same genre.
        SotuTrain = new[] { sotu[200][..20_000], sotu[201][..20_000] };
        SotuHeldOut = new[] { sotu[202][..8_000] };
        var options = new PretrainOptions { Model = TinyModel, Steps = 150, Trainer = TinyTrainer with { LearningRate = 1e-2f } };
        Base = Pretrainer.Train(options, MobyDick, null, CancellationToken.None);
    }

    public BaseModel Base { get; }

    public IReadOnlyList<string> MobyDick { get; }

    public IReadOnlyList<string> SotuTrain { get; }

    public IReadOnlyList<string> SotuHeldOut { get; }

    public static string DatasetPath(string name) => Path.Combine(AppContext.BaseDirectory, "datasets", name);

    public TorchLearner NewLearner(LoraOptions? lora = null, TrainerOptions? trainer = null) =>
        new(Base, lora ?? LoraOptions.Default with { Rank = 4 }, trainer ?? TinyTrainer, SotuTrain);

    private static List<string> ReadTexts(string name)
    {
        using var gzip = new GZipStream(File.OpenRead(DatasetPath(name)), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var texts = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString()!);
        }

        return texts;
    }
}

[CollectionDefinition(Name)]
public sealed class LearningCollection : ICollectionFixture<LearningFixture>
{
    public const string Name = "learning";
}
