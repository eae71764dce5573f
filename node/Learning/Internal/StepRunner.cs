using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// One optimisation step over a chosen parameter set (all weights when pretraining, the LoRA factors when
/// adapting): sample, forward, backward, clip + AdamW (<see cref="FusedAdamW"/>). Everything a step allocates lives in a dispose scope,
/// so
/// native memory stays flat across thousands of steps.
/// </summary>
internal sealed class StepRunner
{
    private readonly ByteTransformer _model;
    private readonly BatchSampler _sampler;
    private readonly FusedAdamW _optimizer;

    public StepRunner(ByteTransformer model, IReadOnlyList<Parameter> trainable, BatchSampler sampler, TrainerOptions options)
    {
        _model = model;
        _sampler = sampler;
        _optimizer = new FusedAdamW(trainable, options);
    }

    /// <summary>Runs one step; returns its mean training loss in nats per byte.</summary>
    public float Step()
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor loss = _model.Loss(_sampler.Next(), training: true);
        loss.backward();
        _optimizer.Step(); // clips, updates, zeroes the gradients
        return loss.item<float>();
    }
}
