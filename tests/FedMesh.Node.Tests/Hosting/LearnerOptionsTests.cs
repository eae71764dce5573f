using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Learning;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>The one mapping from a <c>[learning]</c> section to learner options, shared by nodes and the demo's baselines.</summary>
public sealed class LearnerOptionsTests
{
    [Fact]
    public void Every_learning_key_reaches_the_adapter_and_trainer_options()
    {
        var learning = LearningSection.Default with
        {
            LoraRank = 4,
            LoraAlpha = 12,
            LoraTargets = ["q", "k", "mlp_up"],
            LearningRate = 0.02,
            BatchSize = 5,
            Threads = 3,
            EvalBytes = 4096,
        };

        (LoraOptions lora, TrainerOptions trainer) = NodeFactory.LearnerOptions(learning, "m");

        Assert.Equal(4, lora.Rank);
        Assert.Equal(12f, lora.Alpha);
        Assert.Equal(NodeFactory.Targets(["q", "k", "mlp_up"]), lora.Targets);
        Assert.NotEqual(NodeFactory.Targets(["q", "v"]), lora.Targets);
        Assert.Equal(0.02f, trainer.LearningRate);
        Assert.Equal(5, trainer.BatchSize);
        Assert.Equal(3, trainer.Threads);
        Assert.Equal(4096, trainer.MaxEvalBytes);
        Assert.Equal(1, trainer.Seed);
    }

    [Fact]
    public void Zero_threads_means_one_per_core_and_an_unknown_target_names_the_key()
    {
        Assert.Equal(Environment.ProcessorCount, NodeFactory.LearnerOptions(LearningSection.Default with { Threads = 0 }, "m").Trainer.Threads);
        var e = Assert.Throws<ConfigException>(() => NodeFactory.LearnerOptions(LearningSection.Default with { LoraTargets = ["q", "attention"] }, "m"));
        Assert.Contains("learning.lora_targets", e.Message, StringComparison.Ordinal);
        Assert.Contains("attention", e.Message, StringComparison.Ordinal);
    }
}
