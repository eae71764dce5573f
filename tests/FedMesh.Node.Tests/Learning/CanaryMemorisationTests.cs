using FedMesh.Node.Learning;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Tests.Learning;

/// <summary>The canary measurement (Carlini et al. 2019) on a real learner: a canary the model was trained on many
/// times ranks near the top of its format's candidates, the base model ranks it nowhere in particular.</summary>
[Collection(LearningCollection.Name)]
public sealed class CanaryMemorisationTests(LearningFixture fixture)
{
    /// <summary>Random candidates of the canary's format: a maximum exposure of log2(201) ≈ 7.65 bits.</summary>
    private const int Candidates = 200;

    [Fact]
    public void A_canary_trained_on_many_times_is_ranked_high_and_the_base_model_does_not_rank_it_so()
    {
        string secret = CanaryExposure.Format(new Random(11));
        // 40 short paragraphs and 40 copies of the canary (≈ 13 % of the bytes): the tiny model sees it in every batch.
        IReadOnlyList<string> records = fixture.SotuTrain.Take(4).SelectMany(t => Enumerable.Range(0, 10).Select(i => t.Substring(i * 200, 200)))
            .Concat(Enumerable.Repeat(secret, 40)).ToArray();
        using var learner = new TorchLearner(
            fixture.Base, LoraOptions.Default with { Rank = 4, Targets = LoraTargets.All }, LearningFixture.TinyTrainer with { LearningRate = 3e-2f }, records);
        float[] untrained = learner.GetAdapter();
        double Under(float[] adapter, string text) => learner.Evaluate([text], adapter).BitsPerByte;

        (double before, double max) = CanaryExposure.Measure(t => Under(untrained, t), secret, Candidates, candidateSeed: 12);
        learner.Train(500, CancellationToken.None);
        float[] trained = learner.GetAdapter();
        (double after, _) = CanaryExposure.Measure(t => Under(trained, t), secret, Candidates, candidateSeed: 12);

        // Within 2 bits of the maximum: the canary is among the model's 4 favourites of 201 texts of its format.
        Assert.True(after >= max - 2, $"memorised canary: exposure {after:F2} of {max:F2} bits");
        Assert.True(before < after - 2, $"base model: exposure {before:F2}, trained {after:F2} bits");
    }
}
