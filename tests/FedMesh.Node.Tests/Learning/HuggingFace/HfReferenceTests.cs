using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Learning.HuggingFace.Internal;
using FedMesh.Node.Learning;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>Our GPT-2 and Llama-layout forward passes against an independent PyTorch implementation of each.</summary>
[Collection(HfCollection.Name)]
public sealed class HfReferenceTests(HfCheckpoints checkpoints)
{
    /// <summary>Both sides compute in float32 from identical weights; 1e-4 absolute on logits of magnitude ≈ 1-10.</summary>
    private const float Tolerance = 1e-4f;

    private static readonly int[][] Rows = [[1, 5, 9, 200, 17, 3, 44, 250, 8, 100, 7, 31], [270, 2, 2, 90, 61, 13, 0, 255, 127, 64, 32, 16]];

    [SkippableTheory]
    [InlineData("--arch gpt2 --dtype f32")]
    [InlineData("--arch gpt2 --dtype bf16 --shards 3")]
    [InlineData("--arch gpt2 --dtype f16")]
    [InlineData("--arch llama --dtype f32 --kv-heads 2")]
    [InlineData("--arch llama --dtype bf16 --kv-heads 1 --shards 2")]
    [InlineData("--arch llama --dtype f32 --tie")]
    [InlineData("--arch qwen2 --dtype f32 --kv-heads 2 --tie")]
    [InlineData("--arch mistral --dtype bf16 --kv-heads 2")]
    public void Logits_match_the_PyTorch_reference(string arguments)
    {
        string dir = checkpoints.Make(arguments);
        float[] expected = checkpoints.Logits(dir, Rows);
        using HfBase model = HfBase.Load(dir);
        float[] actual = OurLogits(model, Rows);
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= Tolerance, $"{arguments}: largest logit difference {worst:G3} > {Tolerance}");
        Assert.Contains(expected, v => Math.Abs(v) > 1f); // the logits are not trivially small
    }

    [SkippableFact]
    public void The_base_hash_does_not_depend_on_sharding_but_on_the_data()
    {
        using HfBase single = HfBase.Load(checkpoints.Make("--arch llama --dtype bf16 --kv-heads 2 --seed 5"));
        using HfBase sharded = HfBase.Load(checkpoints.Make("--arch llama --dtype bf16 --kv-heads 2 --seed 5 --shards 3"));
        using HfBase other = HfBase.Load(checkpoints.Make("--arch llama --dtype bf16 --kv-heads 2 --seed 6"));
        using HfBase widened = HfBase.Load(checkpoints.Make("--arch llama --dtype f32 --kv-heads 2 --seed 5"));
        Assert.Equal(single.HashHex, sharded.HashHex);
        Assert.NotEqual(single.HashHex, other.HashHex);
        Assert.NotEqual(single.HashHex, widened.HashHex); // same values widened to F32: dtype and bytes differ
    }

    internal static float[] OurLogits(HfBase model, int[][] rows)
    {
        var lora = LoraOptions.Default with { Rank = 2 };
        using var net = new HfTransformer(model, rows[0].Length, HfAdapterSchema.Sites(model.Config, lora), lora, 1);
        using DisposeScope scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        Tensor ids = tensor(rows.SelectMany(r => r.Select(v => (long)v)).ToArray(), new long[] { rows.Length, rows[0].Length });
        return net.Forward(ids, training: false).contiguous().data<float>().ToArray();
    }
}
