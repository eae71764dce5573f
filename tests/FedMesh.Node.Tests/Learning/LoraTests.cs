using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Tests.Learning;

[Collection(LearningCollection.Name)]
public sealed class LoraTests(LearningFixture fixture)
{
    [Theory]
    [InlineData(LoraTargets.Query | LoraTargets.Value)]
    [InlineData(LoraTargets.All)]
    public void Lora_with_zero_B_gives_exactly_the_base_outputs(LoraTargets targets)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor input = tensor(Enumerable.Range(0, 2 * 16).Select(i => (long)(i * 37 % 256)).ToArray(), new long[] { 2, 16 });
        using ByteTransformer plain = ByteTransformer.FromBase(fixture.Base);
        float[] baseLogits = plain.Forward(input, training: false).data<float>().ToArray();

        using ByteTransformer adapted = ByteTransformer.FromBase(fixture.Base);
        adapted.AttachLora(LoraOptions.Default with { Targets = targets, Rank = 4 }, seed: 3);
        float[] adaptedLogits = adapted.Forward(input, training: false).data<float>().ToArray();

        Assert.Equal(baseLogits, adaptedLogits);
        Assert.Contains(adapted.AdapterParameters, p => p.Name.EndsWith(".lora_a", StringComparison.Ordinal) && p.Parameter.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Training_changes_only_adapter_tensors_and_leaves_base_weights_bit_identical()
    {
        using TorchLearner learner = fixture.NewLearner();
        float[] before = learner.GetAdapter();

        LocalRound round = learner.Train(5, CancellationToken.None);

        Assert.Equal(5, round.Steps);
        Assert.Contains(round.Delta, v => v != 0f);
        Assert.NotEqual(before, learner.GetAdapter());
        Assert.Equal(fixture.Base.HashHex, learner.SnapshotBase().HashHex);
    }

    [Fact]
    public void Base_weights_do_not_require_gradients_but_adapters_do()
    {
        using ByteTransformer model = ByteTransformer.FromBase(fixture.Base);
        model.AttachLora(LoraOptions.Default, seed: 1);

        Assert.All(model.BaseParameters, p => Assert.False(p.Parameter.requires_grad, p.Name));
        Assert.All(model.AdapterParameters, p => Assert.True(p.Parameter.requires_grad, p.Name));
    }

    [Fact]
    public void Default_schema_is_rank_8_on_query_and_value_in_layer_order()
    {
        var schema = AdapterSchemas.Create(ModelOptions.Default, LoraOptions.Default);

        Assert.Equal(
            new[]
            {
                "layers.0.attn.q.lora_a", "layers.0.attn.q.lora_b", "layers.0.attn.v.lora_a", "layers.0.attn.v.lora_b",
                "layers.1.attn.q.lora_a", "layers.1.attn.q.lora_b", "layers.1.attn.v.lora_a", "layers.1.attn.v.lora_b",
            },
            schema.Tensors.Select(t => t.Name));
        Assert.Equal(new[] { 8, 128 }, schema.Tensors[0].Shape);
        Assert.Equal(new[] { 128, 8 }, schema.Tensors[1].Shape);
        Assert.Equal(2 * 2 * 2 * 8 * 128, schema.TotalElements);
    }

    [Fact]
    public void Schema_hash_changes_with_rank_and_targets()
    {
        string q = AdapterSchemas.Create(ModelOptions.Default, LoraOptions.Default).HashHex;
        Assert.NotEqual(q, AdapterSchemas.Create(ModelOptions.Default, LoraOptions.Default with { Rank = 4 }).HashHex);
        Assert.NotEqual(q, AdapterSchemas.Create(ModelOptions.Default, LoraOptions.Default with { Targets = LoraTargets.Attention }).HashHex);
        Assert.Equal(q, AdapterSchemas.Create(ModelOptions.Default, LoraOptions.Default with { Alpha = 32 }).HashHex);
    }
}
