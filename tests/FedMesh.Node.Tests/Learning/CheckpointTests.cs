using System.Buffers.Binary;
using System.Text;
using FedMesh.Node.Learning;
using FedMesh.Node.Tests.Hosting;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Learning;

[Collection(LearningCollection.Name)]
public sealed class CheckpointTests(LearningFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-learning-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Sample() => Safetensors.Write(
        new[]
        {
            new NamedTensor("a", new long[] { 2, 3 }, new float[] { 1, 2, 3, 4, 5, 6 }),
            new NamedTensor("b", new long[] { 1 }, new float[] { -0.5f }),
        },
        new Dictionary<string, string> { ["k"] = "v" });

    [Fact]
    public void Safetensors_round_trip_keeps_names_shapes_values_and_metadata()
    {
        SafetensorsContent content = Safetensors.Read(Sample());

        Assert.Equal("v", content.Metadata["k"]);
        Assert.Equal(new[] { "a", "b" }, content.Tensors.Select(t => t.Name));
        Assert.Equal(new long[] { 2, 3 }, content.Tensors[0].Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, content.Tensors[0].Data);
        Assert.Equal(new float[] { -0.5f }, content.Tensors[1].Data);
        Assert.Equal(0, (Sample().Length - 8 - 4 * 7) % 8); // header padded to 8-byte alignment
    }

    [Fact]
    public void Safetensors_writer_is_deterministic()
    {
        Assert.Equal(Sample(), Sample());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(-1)]
    public void Truncated_safetensors_are_rejected(int keep)
    {
        byte[] file = Sample();
        byte[] cut = file[..(keep < 0 ? file.Length - 1 : keep)];

        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(cut));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_header_length_is_rejected_before_parsing()
    {
        byte[] file = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);

        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));
        Assert.Contains("exceeds", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", "only F32")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "gap or overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"x\"]}}", "invalid data_offsets")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "invalid dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\"}}", "lacks")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"a\":", "not valid JSON")]
    public void Corrupt_safetensors_headers_are_rejected_with_the_reason(string header, string reason)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);

        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_data_not_owned_by_any_tensor_is_rejected()
    {
        byte[] file = [.. Sample(), 0, 0, 0, 0];

        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(file));
        Assert.Contains("trailing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base_checkpoint_round_trips_and_its_file_hash_is_the_base_hash()
    {
        string path = Path.Combine(_dir, "base.safetensors");

        fixture.Base.Save(path);
        BaseModel loaded = BaseModel.Load(path);

        Assert.Equal(fixture.Base.HashHex, loaded.HashHex);
        Assert.Equal(fixture.Base.Options, loaded.Options);
        Assert.Equal(fixture.Base.HashHex, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));
        Assert.Equal(fixture.Base.HashHex + "\n", File.ReadAllText(path + ".sha256"));
    }

    [Fact]
    public void Base_checkpoint_missing_a_tensor_is_rejected_naming_it()
    {
        string path = Path.Combine(_dir, "partial.safetensors");
        NamedTensor[] weights = fixture.Base.Weights.Where(w => w.Name != "head.bias").ToArray();
        File.WriteAllBytes(path, Safetensors.Write(weights, Safetensors.Read(File.ReadAllBytes(SaveBase())).Metadata));

        var e = Assert.Throws<InvalidDataException>(() => BaseModel.Load(path));
        Assert.Contains("head.bias", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adapter_checkpoint_round_trips_and_is_refused_by_a_learner_of_another_schema()
    {
        LoraOptions lora = LoraOptions.Default with { Rank = 4 };
        using TorchLearner learner = fixture.NewLearner(lora);
        learner.Train(2, CancellationToken.None);
        AdapterCheckpoint.Save(_dir, learner, lora);

        using TorchLearner same = fixture.NewLearner(lora);
        AdapterCheckpoint.LoadInto(_dir, same);
        Assert.Equal(learner.GetAdapter(), same.GetAdapter());
        Assert.Equal(lora, AdapterCheckpoint.Load(_dir).Lora);

        using TorchLearner other = fixture.NewLearner(lora with { Rank = 2 });
        var e = Assert.Throws<InvalidDataException>(() => AdapterCheckpoint.LoadInto(_dir, other));
        Assert.Contains("adapter schema", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cache_returns_the_stored_model_and_retrains_over_a_corrupt_file()
    {
        var options = new PretrainOptions { Model = LearningFixture.TinyModel, Steps = 2, Trainer = LearningFixture.TinyTrainer };
        BaseModel first = BaseModelCache.GetOrCreate(options, _dir);
        string path = BaseModelCache.PathFor(options, _dir);
        Assert.True(File.Exists(path));
        Assert.Equal(first.HashHex, BaseModelCache.GetOrCreate(options, _dir).HashHex);

        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        BaseModel retrained = BaseModelCache.GetOrCreate(options, _dir);

        Assert.Equal(first.HashHex, retrained.HashHex); // seeded pretraining is reproducible
        Assert.Equal(first.HashHex, BaseModel.Load(path).HashHex);
    }

    [Fact]
    public void A_cache_miss_without_a_progress_logs_the_pretraining_every_tenth_of_the_steps()
    {
        // The daemon passes no progress: its log must show the pretraining moving (a first start pretrains for minutes).
        // Pretrainer reports every 50 steps; 100 steps give two reports, each its own tenth or more: two lines.
        var options = new PretrainOptions { Model = LearningFixture.TinyModel, Steps = 100, Trainer = LearningFixture.TinyTrainer };
        using var logs = new CapturedLogs();
        using ILoggerFactory factory = logs.Factory();
        BaseModelCache.GetOrCreate(options, _dir, logger: factory.CreateLogger("test"));

        string[] steps = [.. logs.Lines.Where(l => l.StartsWith("Information 3105 ", StringComparison.Ordinal))];
        Assert.Equal(2, steps.Length);
        Assert.StartsWith("Information 3105 Pretraining the base model: step 50 of 100, loss ", steps[0], StringComparison.Ordinal);
        Assert.StartsWith("Information 3105 Pretraining the base model: step 100 of 100, loss ", steps[1], StringComparison.Ordinal);
        Assert.EndsWith("about 0 s left", steps[1], StringComparison.Ordinal);

        // A hit pretrains nothing and logs no step.
        using var again = new CapturedLogs();
        using ILoggerFactory factory2 = again.Factory();
        BaseModelCache.GetOrCreate(options, _dir, logger: factory2.CreateLogger("test"));
        Assert.DoesNotContain(again.Lines, l => l.StartsWith("Information 3105 ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_daemon_the_demo_and_fedmesh_pretrain_pretrain_the_base_with_one_thread_count()
    {
        // One cache entry and one set of base bytes whoever pretrains first (the count is in the key, and the weights
        // depend on it): the daemon uses PretrainOptions.Default's trainer, the demo and `fedmesh pretrain` default to it.
        Assert.Equal(1, PretrainOptions.Default.Trainer.Threads);
        Assert.Equal(PretrainOptions.Default.Trainer.Threads, FedMesh.Node.Demo.DemoOptions.Default.PretrainThreads);
        var command = FedMesh.Node.Learning.Cli.PretrainCommand.Create();
        System.CommandLine.ParseResult parsed = command.Parse("--steps 1");
        var threads = (System.CommandLine.Option<int>)command.Options.Single(o => o.Name == "--threads");
        Assert.Equal(PretrainOptions.Default.Trainer.Threads, parsed.GetValue(threads));
    }

    [Fact]
    public void Cache_key_depends_on_steps_seed_and_shape()
    {
        var options = new PretrainOptions { Model = LearningFixture.TinyModel, Steps = 2 };
        string key = BaseModelCache.Key(options);

        Assert.Equal(key, BaseModelCache.Key(options with { }));
        Assert.NotEqual(key, BaseModelCache.Key(options with { Steps = 3 }));
        Assert.NotEqual(key, BaseModelCache.Key(options with { Trainer = options.Trainer with { Seed = 99 } }));
        // The weights depend on libtorch's thread count, so two counts must never share an entry.
        Assert.NotEqual(key, BaseModelCache.Key(options with { Trainer = options.Trainer with { Threads = options.Trainer.Threads + 1 } }));
        Assert.NotEqual(key, BaseModelCache.Key(options with { Model = options.Model with { Width = 64 } }));
    }

    private string SaveBase()
    {
        string path = Path.Combine(_dir, "full.safetensors");
        fixture.Base.Save(path);
        return path;
    }
}
