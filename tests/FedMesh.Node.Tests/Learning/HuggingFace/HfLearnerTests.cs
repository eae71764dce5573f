using FedMesh.Node.Learning;
using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Learning.Internal;
using FedMesh.Node.Privacy;
using FedMesh.Node.Privacy.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>The learner (plain and record-level DP-SGD training, bits-per-byte evaluation) over Hugging Face bases.</summary>
[Collection(HfCollection.Name)]
public sealed class HfLearnerTests(HfCheckpoints checkpoints)
{
    private static readonly TrainerOptions Trainer = TrainerOptions.Default with { BatchSize = 4, Threads = 1, Seed = 3, LearningRate = 1e-2f };

    private static readonly string[] Documents = Enumerable.Range(0, 12)
        .Select(i => $"Call me Ishmael. Some years ago, never mind how long precisely, the whale {i} swam in the sea.").ToArray();

    [SkippableTheory]
    [InlineData("--arch llama --dtype bf16 --kv-heads 2")]
    [InlineData("--arch gpt2 --dtype f32")]
    public void Training_lowers_bits_per_byte_and_evaluation_restores_the_adapter(string arguments)
    {
        using HfBase model = HfBase.Load(checkpoints.Make(arguments));
        using var learner = new TorchLearner(model, LoraOptions.Default with { Rank = 4, Targets = LoraTargets.All }, Trainer, Documents, context: 16);
        Evaluation before = learner.EvaluateBase(Documents);
        LocalRound round = learner.Train(40, CancellationToken.None);
        Evaluation after = learner.Evaluate(Documents);
        Assert.Equal(40, round.Steps);
        Assert.True(after.BitsPerByte < before.BitsPerByte - 0.2, $"bits per byte {before.BitsPerByte:F3} → {after.BitsPerByte:F3}");
        Assert.Equal(Documents.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d)), after.Bytes);
        Assert.Equal(before.Loss, learner.EvaluateBase(Documents).Loss, 6); // scoring another adapter leaves ours in place
        Assert.Equal(after.Loss, learner.Evaluate(Documents).Loss, 6);
    }

    [SkippableFact]
    public void Generation_samples_only_ids_the_tokenizer_can_decode_when_the_embedding_has_padding_rows()
    {
        // 2,000 embedding rows against a tokenizer of a few hundred ids (padded vocabularies are common): a random
        // model puts most of its probability on rows that decode to nothing, so before the bound the sampled text
        // was almost empty (seen with a generated checkpoint in a walk-through: the prompt came back alone).
        using HfBase model = HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2 --vocab 2000"));
        var codec = new HfCodec(model);
        Assert.True(codec.DecodableIds < 1000, $"the generated tokenizer has {codec.DecodableIds} ids");
        using var learner = new TorchLearner(model, LoraOptions.Default with { Rank = 4 }, Trainer, Documents, context: 16);
        int[] ids = learner.GenerateIds("Call me", new GenerationOptions { MaxTokens = 48, Temperature = 1.5, TopP = 1, Seed = 5 });
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 0, codec.DecodableIds - 1));
        Assert.Equal(codec.Decode(ids), learner.Generate("Call me", new GenerationOptions { MaxTokens = 48, Temperature = 1.5, TopP = 1, Seed = 5 }));
    }

    [SkippableFact]
    public void Per_example_gradients_on_a_llama_base_equal_a_naive_per_example_loop()
    {
        using HfBase model = HfBase.Load(checkpoints.Make("--arch qwen2 --dtype f32 --kv-heads 2 --tie"));
        var lora = LoraOptions.Default with { Rank = 2, Modules = ["q_proj", "v_proj", "down_proj"] };
        using var learner = new TorchLearner(model, lora, Trainer with { BatchSize = 2, DpSgd = new DpSgdOptions { ClipNorm = 1, NoiseMultiplier = 0 } },
            [.. Documents.Take(3), "Short."], 12, null, GaussianNoiseSource.CreateSeeded(1), new Xoshiro256StarStar(1));
        var random = new Random(5);
        learner.SetAdapter(Enumerable.Range(0, (int)learner.Schema.TotalElements).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray());
        using DisposeScope scope = NewDisposeScope();
        (Tensor input, Tensor target) = learner.Runner.Records!.Windows([0, 1, 2, 3]);
        Tensor fast = learner.Runner.PerExampleGradients(input, target, out _);
        IReadOnlyList<Parameter> parameters = learner.AdapterModel.AdapterParameters.Select(p => p.Parameter).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Tensor logits = learner.AdapterModel.Forward(input.narrow(0, i, 1), training: true);
            F.cross_entropy(logits.reshape(-1, model.Config.VocabSize), target.narrow(0, i, 1).reshape(-1), ignore_index: RecordSampler.IgnoredTarget).backward();
            float[] naive = parameters.SelectMany(p => p.grad!.data<float>().ToArray()).ToArray();
            foreach (Parameter p in parameters)
            {
                p.grad!.zero_();
            }

            float[] row = fast[i].data<float>().ToArray();
            Assert.True(naive.Any(g => Math.Abs(g) > 1e-4), "gradients are not trivially zero");
            for (int j = 0; j < naive.Length; j++)
            {
                Assert.True(Math.Abs(naive[j] - row[j]) <= 1e-5 * Math.Max(1, Math.Abs(naive[j])), $"record {i}, coordinate {j}: {naive[j]} vs {row[j]}");
            }
        }

        Assert.Equal(["model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight"], learner.Schema.Tensors.Take(2).Select(t => t.Name));
    }
}
