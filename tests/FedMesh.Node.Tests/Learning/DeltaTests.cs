using System.Numerics.Tensors;
using FedMesh.Node.Learning;
using FedMesh.Protocol;

namespace FedMesh.Node.Tests.Learning;

[Collection(LearningCollection.Name)]
public sealed class DeltaTests(LearningFixture fixture)
{
    [Fact]
    public void Get_and_set_adapter_round_trip_exactly()
    {
        using TorchLearner learner = fixture.NewLearner();
        var random = new Random(11);
        float[] adapter = Enumerable.Range(0, (int)learner.Schema.TotalElements).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

        learner.SetAdapter(adapter);

        Assert.Equal(adapter, learner.GetAdapter());
    }

    [Fact]
    public void Applying_a_delta_adds_it_exactly_and_reproduces_the_trained_adapter()
    {
        using TorchLearner trained = fixture.NewLearner();
        using TorchLearner other = fixture.NewLearner();
        float[] start = trained.GetAdapter();
        LocalRound round = trained.Train(4, CancellationToken.None);
        float[] after = trained.GetAdapter();

        other.SetAdapter(start);
        other.ApplyDelta(round.Delta);

        var expected = new float[start.Length];
        TensorPrimitives.Add(start, round.Delta, expected);
        Assert.Equal(expected, other.GetAdapter());
        // start + (after − start) equals after up to float32 rounding of the subtraction and the addition.
        for (int i = 0; i < after.Length; i++)
        {
            Assert.Equal(after[i], expected[i], 1e-6f);
        }
    }

    [Fact]
    public void Named_adapter_view_follows_schema_order()
    {
        using TorchLearner learner = fixture.NewLearner();
        float[] flat = learner.GetAdapter();
        IReadOnlyDictionary<string, float[]> named = learner.GetNamedAdapter();

        Assert.Equal(flat, learner.Schema.Tensors.SelectMany(t => named[t.Name]).ToArray());
    }

    [Fact]
    public void Adapter_of_wrong_length_is_refused_with_the_expected_size()
    {
        using TorchLearner learner = fixture.NewLearner();

        var e = Assert.Throws<ArgumentException>(() => learner.ApplyDelta(new float[3]));
        Assert.Contains($"needs {learner.Schema.TotalElements}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deltas_for_another_base_or_schema_are_refused_with_a_reason()
    {
        using TorchLearner learner = fixture.NewLearner();
        byte[] baseHash = learner.BaseModelHash.ToArray();
        byte[] schemaHash = learner.Schema.Hash;
        long d = learner.Schema.TotalElements;
        byte[] otherBase = (byte[])baseHash.Clone();
        otherBase[0] ^= 1;
        byte[] otherSchema = AdapterSchemas.Create(fixture.Base.Options, LoraOptions.Default with { Rank = 2 }).Hash;

        Assert.Null(DeltaCompatibility.Check(learner, baseHash, schemaHash, d));
        Assert.StartsWith("base model", DeltaCompatibility.Check(learner, otherBase, schemaHash, d), StringComparison.Ordinal);
        Assert.StartsWith("adapter schema", DeltaCompatibility.Check(learner, baseHash, otherSchema, d), StringComparison.Ordinal);
        Assert.Contains("values", DeltaCompatibility.Check(learner, baseHash, schemaHash, d - 1), StringComparison.Ordinal);
        var e = Assert.Throws<ProtocolException>(() => DeltaCompatibility.Ensure(learner, otherBase, schemaHash, d));
        Assert.Equal(ProtocolErrorCode.IncompatiblePeer, e.Code);
    }
}
