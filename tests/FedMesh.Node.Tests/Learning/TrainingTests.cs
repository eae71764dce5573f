using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Learning;

[Collection(LearningCollection.Name)]
public sealed class TrainingTests(LearningFixture fixture)
{
    [Fact]
    public void Pretraining_brings_the_base_below_the_uniform_8_bits_per_byte()
    {
        using TorchLearner learner = fixture.NewLearner();

        Evaluation base_ = learner.EvaluateBase(fixture.SotuHeldOut);

        Assert.True(base_.BitsPerByte < LanguageModelMath.UniformBitsPerByte - 2, $"base bpb {base_.BitsPerByte:F3}");
    }

    [Fact]
    public void Short_lora_training_on_sotu_lowers_held_out_bits_per_byte()
    {
        // Adapters on every linear map: the tiny test model (width 32) has little room in q, v alone.
        using TorchLearner learner = fixture.NewLearner(
            LoraOptions.Default with { Rank = 4, Targets = LoraTargets.All },
            LearningFixture.TinyTrainer with { LearningRate = 1e-2f });
        Evaluation before = learner.Evaluate(fixture.SotuHeldOut);

        learner.Train(150, CancellationToken.None);
        Evaluation after = learner.Evaluate(fixture.SotuHeldOut);

        Assert.Equal(before.BitsPerByte, learner.EvaluateBase(fixture.SotuHeldOut).BitsPerByte, 6);
        Assert.True(after.BitsPerByte < before.BitsPerByte - 0.05, $"bpb {before.BitsPerByte:F3} -> {after.BitsPerByte:F3}");
    }

    [Fact]
    public void Evaluating_a_given_adapter_leaves_the_current_adapter_unchanged()
    {
        using TorchLearner learner = fixture.NewLearner();
        learner.Train(3, CancellationToken.None);
        float[] current = learner.GetAdapter();
        Evaluation own = learner.Evaluate(fixture.SotuHeldOut);

        Evaluation other = learner.Evaluate(fixture.SotuHeldOut, new float[current.Length]);

        Assert.Equal(current, learner.GetAdapter());
        Assert.NotEqual(own.Loss, other.Loss);
        Assert.Equal(own.Loss, learner.Evaluate(fixture.SotuHeldOut, current).Loss);
    }

    [Fact]
    public void Same_seed_and_data_give_identical_rounds()
    {
        using TorchLearner a = fixture.NewLearner();
        using TorchLearner b = fixture.NewLearner();

        Assert.Equal(a.Train(3, CancellationToken.None).Delta, b.Train(3, CancellationToken.None).Delta);
    }

    [Fact]
    public void Cancelled_round_stops_early_and_reports_steps_done()
    {
        using TorchLearner learner = fixture.NewLearner();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        LocalRound round = learner.Train(10, cts.Token);

        Assert.Equal(0, round.Steps);
        Assert.All(round.Delta, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bits_per_byte_is_nats_over_ln_2()
    {
        Assert.Equal(1.0, LanguageModelMath.BitsPerByte(Math.Log(2)), 12);
        Assert.Equal(8.0, LanguageModelMath.UniformBitsPerByte, 12);
    }
}
