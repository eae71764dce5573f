using System.Text.Json;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.HuggingFace;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>PEFT export and import, and base identity between nodes.</summary>
[Collection(HfCollection.Name)]
public sealed class HfAdapterTests(HfCheckpoints checkpoints) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-peft-").FullName;

    [SkippableFact]
    public void A_peft_export_has_peft_names_and_config_and_re_imports_exactly()
    {
        using LearningBase model = LearningBase.FromHf(HfBase.Load(checkpoints.Make("--arch gpt2 --dtype bf16")), 16);
        var lora = LoraOptions.Default with { Rank = 4, Alpha = 8, Modules = ["c_attn"] };
        using TorchLearner learner = model.CreateLearner(lora, TrainerOptions.Default with { Threads = 1 }, []);
        var random = new Random(2);
        float[] adapter = Enumerable.Range(0, (int)learner.Schema.TotalElements).Select(_ => (float)random.NextDouble()).ToArray();
        learner.SetAdapter(adapter);

        model.SaveAdapter(_dir, learner, lora, "peft");

        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, PeftAdapter.ConfigFile)));
        Assert.Equal("LORA", config.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal(4, config.RootElement.GetProperty("r").GetInt32());
        Assert.Equal(8, config.RootElement.GetProperty("lora_alpha").GetDouble());
        Assert.Equal(["c_attn"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        Assert.True(config.RootElement.GetProperty("fan_in_fan_out").GetBoolean());
        Assert.Equal(Path.GetFileName(model.Hf!.Directory), config.RootElement.GetProperty("base_model_name_or_path").GetString());
        SafetensorsContent tensors = Safetensors.ReadFile(Path.Combine(_dir, PeftAdapter.TensorsFile));
        Assert.Equal("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", tensors.Tensors[0].Name);
        Assert.Equal([4L, 32L], tensors.Tensors[0].Shape);
        Assert.Equal("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight", tensors.Tensors[1].Name);
        Assert.Equal([96L, 4L], tensors.Tensors[1].Shape);

        Assert.Equal(lora.Rank, model.AdapterLora(_dir, LoraOptions.Default).Rank);
        using TorchLearner again = model.CreateLearner(model.AdapterLora(_dir, LoraOptions.Default), TrainerOptions.Default with { Threads = 1 }, []);
        model.LoadAdapter(_dir, again);
        Assert.Equal(adapter, again.GetAdapter());
    }

    [SkippableFact]
    public void A_peft_adapter_for_another_base_is_refused_naming_it()
    {
        using LearningBase ours = LearningBase.FromHf(HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2")), 16);
        using LearningBase other = LearningBase.FromHf(HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2 --seed 9")), 16);
        var lora = LoraOptions.Default with { Rank = 2 };
        using TorchLearner theirs = other.CreateLearner(lora, TrainerOptions.Default with { Threads = 1 }, []);
        other.SaveAdapter(_dir, theirs, lora, "peft");
        using TorchLearner mine = ours.CreateLearner(lora, TrainerOptions.Default with { Threads = 1 }, []);
        float[] before = mine.GetAdapter();

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => ours.LoadAdapter(_dir, mine));

        Assert.Contains("adapter_model.safetensors: adapter for another base", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, mine.GetAdapter()); // nothing applied
    }

    [SkippableFact]
    public void Learners_on_different_bases_refuse_each_others_deltas_with_a_reason()
    {
        using LearningBase a = LearningBase.FromHf(HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2")), 16);
        using LearningBase b = LearningBase.FromHf(HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2 --seed 9")), 16);
        using TorchLearner la = a.CreateLearner(LoraOptions.Default, TrainerOptions.Default with { Threads = 1 }, []);
        using TorchLearner lb = b.CreateLearner(LoraOptions.Default, TrainerOptions.Default with { Threads = 1 }, []);
        Assert.Equal(la.Schema.HashHex, lb.Schema.HashHex); // same shapes: only the base tells them apart

        string? reason = DeltaCompatibility.Check(la, lb.BaseModelHash.Span, lb.Schema.Hash, lb.Schema.TotalElements);

        Assert.NotNull(reason);
        Assert.StartsWith($"base model {b.HashHex[..12]}… differs from ours {a.HashHex[..12]}…", reason, StringComparison.Ordinal);
        Assert.Null(DeltaCompatibility.Check(la, la.BaseModelHash.Span, la.Schema.Hash, la.Schema.TotalElements));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
