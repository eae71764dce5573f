using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Tests.Learning;

public sealed class ModelTests
{
    private static readonly ModelOptions Small = new() { Layers = 2, Width = 16, Heads = 2, Context = 12 };

    [Theory]
    [InlineData(PositionEncoding.Learned)]
    [InlineData(PositionEncoding.Sinusoidal)]
    public void Changing_a_later_byte_leaves_the_logits_of_earlier_positions_unchanged(PositionEncoding positions)
    {
        using DisposeScope scope = NewDisposeScope();
        using ByteTransformer model = ByteTransformer.CreateRandom(Small with { Positions = positions }, seed: 4);
        long[] bytes = Enumerable.Range(0, 12).Select(i => (long)('a' + i)).ToArray();
        float[] original = model.Forward(tensor(bytes, new long[] { 1, 12 }), training: false).data<float>().ToArray();
        bytes[8] = 'Z';
        float[] changed = model.Forward(tensor(bytes, new long[] { 1, 12 }), training: false).data<float>().ToArray();

        int perPosition = ModelOptions.VocabSize;
        Assert.Equal(original[..(8 * perPosition)], changed[..(8 * perPosition)]);
        Assert.NotEqual(original[(8 * perPosition)..(9 * perPosition)], changed[(8 * perPosition)..(9 * perPosition)]);
    }

    [Fact]
    public void Default_model_has_the_documented_parameter_count()
    {
        // tok_emb 256·128 + pos 64·128 + 2 × (2 LN + q,k,v,o + fc1 + fc2) + ln_f + head 256·128 + 256.
        long perLayer = (4 * 128) + (4 * ((128 * 128) + 128)) + ((512 * 128) + 512) + ((128 * 512) + 128);
        long expected = (256 * 128) + (64 * 128) + (2 * perLayer) + (2 * 128) + (256 * 128) + 256;

        long actual = ByteTransformer.BaseLayout(ModelOptions.Default).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));

        Assert.Equal(expected, actual);
        Assert.Equal(470_784, actual);
    }

    [Fact]
    public void Sinusoidal_positions_add_no_parameters()
    {
        Assert.DoesNotContain(ByteTransformer.BaseLayout(Small with { Positions = PositionEncoding.Sinusoidal }), t => t.Name == "pos_emb");
        Assert.Contains(ByteTransformer.BaseLayout(Small), t => t.Name == "pos_emb");
    }

    [Theory]
    [InlineData(0, 128, 4, 64, "Layers")]
    [InlineData(2, 130, 4, 64, "Heads")]
    [InlineData(2, 128, 4, 1, "Context")]
    public void Invalid_model_options_are_rejected_naming_the_field(int layers, int width, int heads, int context, string field)
    {
        var options = new ModelOptions { Layers = layers, Width = width, Heads = heads, Context = context };

        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_little_training_text_is_refused_with_the_needed_size()
    {
        BaseModel baseModel = Pretrainer.Train(new PretrainOptions { Model = Small, Steps = 0, Trainer = TrainerOptions.Default with { Threads = 1 } }, new[] { new string('y', 40) }, null, CancellationToken.None);

        var e = Assert.Throws<ArgumentException>(() => new TorchLearner(baseModel, LoraOptions.Default with { Rank = 2 }, TrainerOptions.Default with { Threads = 1 }, new[] { "tiny" }));
        Assert.Contains("at least 14", e.Message, StringComparison.Ordinal);
    }
}
