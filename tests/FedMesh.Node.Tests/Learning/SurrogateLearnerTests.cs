using System.Numerics.Tensors;
using FedMesh.Node.Learning.Surrogate;

namespace FedMesh.Node.Tests.Learning;

public class SurrogateLearnerTests
{
    [Fact]
    public void Gradient_steps_reduce_the_held_out_loss_and_the_distance_to_the_optimum()
    {
        var problem = new SurrogateProblem(SurrogateOptions.Default with { Seed = 3 }, nodeCount: 4);
        using SurrogateLearner learner = problem.CreateLearner(1);
        double before = learner.HeldOutLoss(learner.GetAdapter());
        double distanceBefore = learner.DistanceToLocalOptimum(learner.GetAdapter());

        var round = learner.Train(50, CancellationToken.None);

        double after = learner.HeldOutLoss(learner.GetAdapter());
        Assert.Equal(50, round.Steps);
        Assert.True(after < 0.1 * before, $"loss {before} -> {after}");
        Assert.True(learner.DistanceToLocalOptimum(learner.GetAdapter()) < 0.3 * distanceBefore);
        Assert.Equal(learner.GetAdapter(), round.Delta); // started from w = 0
    }

    [Fact]
    public void Training_to_convergence_reaches_the_label_noise_floor()
    {
        var options = SurrogateOptions.Default with { Seed = 5 };
        var problem = new SurrogateProblem(options, nodeCount: 1);
        using SurrogateLearner learner = problem.CreateLearner(0);

        learner.Train(600, CancellationToken.None);

        // Held-out MSE at the optimum is σ² plus the estimation error; 3σ² bounds both with margin.
        Assert.InRange(learner.HeldOutLoss(learner.GetAdapter()), 0, 3 * options.NoiseStd * options.NoiseStd);
    }

    [Fact]
    public void The_step_size_decays_as_eta_over_one_plus_k_over_tau_and_stays_constant_without_decay()
    {
        Assert.Equal(0.05, SurrogateLearner.StepSize(0.05, 0, 1_000_000));
        Assert.Equal(0.05, SurrogateLearner.StepSize(0.05, 10, 0));
        Assert.Equal(0.025, SurrogateLearner.StepSize(0.05, 10, 10), 12);
        Assert.Equal(0.05 / 11, SurrogateLearner.StepSize(0.05, 10, 100), 12);
    }

    [Fact]
    public void A_decaying_learner_takes_the_same_first_step_and_smaller_later_steps_across_rounds()
    {
        var constant = new SurrogateProblem(SurrogateOptions.Default with { Seed = 4 }, 2).CreateLearner(1);
        var decaying = new SurrogateProblem(SurrogateOptions.Default with { Seed = 4, LearningRateDecaySteps = 2 }, 2).CreateLearner(1);

        Assert.Equal(constant.Train(1, CancellationToken.None).Delta, decaying.Train(1, CancellationToken.None).Delta);

        // The step counter survives across rounds (Train calls): 41 steps taken, so the next one is η / (1 + 41/2)
        // = η / 21.5; from the same point and the same batch its update is that fraction of the constant learner's.
        constant.Train(40, CancellationToken.None);
        decaying.Train(40, CancellationToken.None);
        float[] start = new float[constant.GetAdapter().Length];
        constant.SetAdapter(start);
        decaying.SetAdapter(start);
        float a = TensorPrimitives.Norm(constant.Train(1, CancellationToken.None).Delta);
        float b = TensorPrimitives.Norm(decaying.Train(1, CancellationToken.None).Delta);
        Assert.InRange(b / a, 1.0 / 21.5 * 0.999, 1.0 / 21.5 * 1.001);
    }

    [Fact]
    public void A_negative_or_infinite_decay_is_refused_with_the_key_named()
    {
        Assert.Contains("learning_rate_decay_steps", (SurrogateOptions.Default with { LearningRateDecaySteps = -1 }).Problem());
        Assert.Contains("learning_rate_decay_steps", (SurrogateOptions.Default with { LearningRateDecaySteps = double.PositiveInfinity }).Problem());
    }

    [Fact]
    public void The_same_seed_gives_the_same_data_and_steps()
    {
        var a = new SurrogateProblem(SurrogateOptions.Default with { Seed = 9, Split = SurrogateSplit.Dirichlet }, 3).CreateLearner(2);
        var b = new SurrogateProblem(SurrogateOptions.Default with { Seed = 9, Split = SurrogateSplit.Dirichlet }, 3).CreateLearner(2);

        Assert.Equal(a.Train(7, CancellationToken.None).Delta, b.Train(7, CancellationToken.None).Delta);
        Assert.Equal(a.BaseModelHash.ToArray(), b.BaseModelHash.ToArray());
    }

    [Fact]
    public void Iid_nodes_share_one_optimum_and_dirichlet_nodes_do_not()
    {
        var iid = new SurrogateProblem(SurrogateOptions.Default with { Seed = 2 }, 3);
        var dirichlet = new SurrogateProblem(SurrogateOptions.Default with { Seed = 2, Split = SurrogateSplit.Dirichlet, DirichletAlpha = 0.1 }, 3);

        Assert.Equal(iid.NodeOptimum(0), iid.NodeOptimum(2));
        Assert.True(TensorPrimitives.Distance(dirichlet.NodeOptimum(0), dirichlet.NodeOptimum(2)) > 0.1);
        float[] mean = dirichlet.OptimumOf([0, 1, 2]);
        float[] expected = new float[mean.Length];
        for (int i = 0; i < 3; i++)
        {
            TensorPrimitives.Add(expected, dirichlet.NodeOptimum(i), expected);
        }

        TensorPrimitives.Multiply(expected, 1f / 3, expected);
        Assert.Equal(expected, mean);
    }

    [Fact]
    public void Different_task_parameters_give_different_base_hashes()
    {
        var a = new SurrogateProblem(SurrogateOptions.Default, 4);
        var b = new SurrogateProblem(SurrogateOptions.Default with { Dimension = 33 }, 4);

        Assert.NotEqual(a.BaseModelHash, b.BaseModelHash);
        Assert.Equal("w", Assert.Single(a.Schema.Tensors).Name);
        Assert.Equal(32, a.Schema.TotalElements);
    }

    [Fact]
    public void Evaluate_ignores_documents_and_scores_the_given_adapter()
    {
        var problem = new SurrogateProblem(SurrogateOptions.Default, 2);
        using SurrogateLearner learner = problem.CreateLearner(0);
        float[] optimum = problem.NodeOptimum(0);

        var atOptimum = learner.Evaluate(["ignored text"], optimum);
        var atZero = learner.Evaluate([]);

        Assert.True(atOptimum.Loss < atZero.Loss);
        Assert.Equal(learner.HeldOutLoss(optimum), atOptimum.Loss);
        Assert.True(double.IsNaN(atOptimum.BitsPerByte));
    }

    [Fact]
    public void Wrong_lengths_and_options_are_refused_with_the_key()
    {
        using SurrogateLearner learner = new SurrogateProblem(SurrogateOptions.Default, 1).CreateLearner(0);

        Assert.Throws<ArgumentException>(() => learner.SetAdapter(new float[3]));
        var ex = Assert.Throws<ArgumentException>(() => new SurrogateProblem(SurrogateOptions.Default with { BatchSize = 0 }, 1));
        Assert.Contains("learner.batch_size", ex.Message, StringComparison.Ordinal);
    }
}
