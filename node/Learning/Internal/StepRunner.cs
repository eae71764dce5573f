using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// One optimisation step over a chosen parameter set (all weights when pretraining, the LoRA factors when
/// adapting): sample, forward, backward, clip, AdamW. Everything a step allocates lives in a dispose scope, so
/// native memory stays flat across thousands of steps.
/// </summary>
internal sealed class StepRunner : IDisposable
{
    private readonly ByteTransformer _model;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly BatchSampler _sampler;
    private readonly float _clipNorm;
    private readonly optim.Optimizer _optimizer;

    public StepRunner(ByteTransformer model, IReadOnlyList<Parameter> trainable, BatchSampler sampler, TrainerOptions options)
    {
        _model = model;
        _trainable = trainable;
        _sampler = sampler;
        _clipNorm = options.ClipNorm;
        _optimizer = optim.AdamW(trainable, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>Runs one step; returns its mean training loss in nats per byte.</summary>
    public float Step()
    {
        using DisposeScope scope = NewDisposeScope();
        _optimizer.zero_grad();
        Tensor loss = _model.Loss(_sampler.Next(), training: true);
        loss.backward();
        nn.utils.clip_grad_norm_(_trainable, _clipNorm);
        _optimizer.step();
        return loss.item<float>();
    }

    public void Dispose() => _optimizer.Dispose();
}
