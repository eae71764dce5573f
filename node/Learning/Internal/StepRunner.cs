using System.Runtime.InteropServices;
using FedMesh.Node.Privacy;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// One optimisation step over a chosen parameter set (all weights when pretraining, the LoRA factors when
/// adapting). Without DP: sample windows, forward, backward, clip + AdamW (<see cref="FusedAdamW"/>). With
/// record-level DP-SGD (<see cref="DpSgdOptions"/>): Poisson-sample records, per-record gradients, clip each to C,
/// sum, add N(0, σ²C²), divide by the expected batch B, AdamW. Everything a step allocates lives in a dispose scope,
/// so native memory stays flat across thousands of steps.
/// </summary>
internal sealed class StepRunner
{
    private readonly IAdapterModel _model;
    private readonly BatchSampler? _sampler;
    private readonly FusedAdamW _optimizer;
    private readonly RecordSampler? _records;
    private readonly DpSgdOptions? _dp;
    private readonly IGaussianNoiseSource? _noise;
    private readonly int _expectedBatch;
    private readonly float[]? _gradient;

    /// <summary>Records whose per-example gradients are held at once in a DP-SGD step: 128 × the demo's 36,864
    /// adapter values is 19 MB of gradients plus as much for the factor copies, where a whole batch of 1,024 took
    /// ≈ 2.5 GB per learner (measured: four learners at B = 1,024 had a 9.8 GB working set).</summary>
    internal const int MaxRecordsPerChunk = 128;

    public StepRunner(IAdapterModel model, IReadOnlyList<Parameter> trainable, BatchSampler sampler, TrainerOptions options)
    {
        _model = model;
        _sampler = sampler;
        _optimizer = new FusedAdamW(trainable, options);
    }

    /// <summary>A record-level DP-SGD runner over the LoRA factors of <paramref name="model"/>.</summary>
    public StepRunner(IAdapterModel model, IReadOnlyList<Parameter> trainable, RecordSampler records, TrainerOptions options, IGaussianNoiseSource noise)
    {
        _model = model;
        _records = records;
        _dp = options.DpSgd ?? throw new ArgumentException("options carry no DP-SGD settings", nameof(options));
        _noise = noise;
        _expectedBatch = options.BatchSize;
        _optimizer = new FusedAdamW(trainable, options);
        _gradient = new float[trainable.Sum(p => p.numel())];
    }

    /// <summary>The DP-SGD record sampler (null without DP).</summary>
    internal RecordSampler? Records => _records;

    /// <summary>Runs one step; returns its mean training loss in nats per byte (NaN for a DP step that drew no record).</summary>
    public float Step() => _records is null ? PlainStep() : PrivateStep();

    private float PlainStep()
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor loss = _model.Loss(_sampler!.Next(), training: true);
        loss.backward();
        _optimizer.Step(); // clips, updates, zeroes the gradients
        return loss.item<float>();
    }

    private float PrivateStep()
    {
        IReadOnlyList<int> drawn = _records!.Draw();
        float loss = float.NaN;
        Array.Clear(_gradient!);
        double lossSum = 0;
        // Chunks: the clipped sum is a sum over records, so it can be taken a chunk at a time; this bounds the
        // per-example gradients held at once to MaxRecordsPerChunk × adapter size however large the batch.
        for (int at = 0; at < drawn.Count; at += MaxRecordsPerChunk)
        {
            using DisposeScope scope = NewDisposeScope();
            IReadOnlyList<int> chunk = drawn.Skip(at).Take(MaxRecordsPerChunk).ToArray();
            (Tensor input, Tensor target) = _records.Windows(chunk);
            lossSum += (double)ClippedGradientSum(input, target, _gradient!) * chunk.Count;
        }

        if (drawn.Count > 0)
        {
            loss = (float)(lossSum / drawn.Count);
        }

        // Noise on the sum, then the mean over the *expected* batch: the drawn batch size depends on which records
        // were sampled, so dividing by it would leak; B is public (Abadi et al. 2016, Alg. 1; Opacus' Poisson mode).
        _noise!.AddNoise(_gradient, _dp!.NoiseMultiplier * _dp.ClipNorm);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_gradient, 1f / _expectedBatch, _gradient);
        _optimizer.Step(_gradient);
        return loss;
    }

    /// <summary>
    /// Adds Σᵢ clip(gᵢ, C) over the windows' records to <paramref name="sum"/> (flat, adapter order); returns their mean
    /// loss. gᵢ is record i's gradient of its mean window loss; clip(g, C) = g · min(1, C/(‖g‖ + 1e-6)).
    /// </summary>
    internal float ClippedGradientSum(Tensor input, Tensor target, float[] sum)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor perExample = PerExampleGradients(input, target, out Tensor losses);
        Tensor norms = perExample.norm(1);
        Tensor factors = norms.add(TorchScalars.Constant(AdamWMath.ClipEpsilon), TorchScalars.One).reciprocal()
            .mul(TorchScalars.Constant(_dp!.ClipNorm)).clamp_max(TorchScalars.Constant(1.0));
        Tensor clipped = factors.unsqueeze(0).mm(perExample).squeeze(0).contiguous();
        System.Numerics.Tensors.TensorPrimitives.Add(sum, MemoryMarshal.Cast<byte, float>(clipped.bytes), sum);
        return losses.mean().item<float>();
    }

    /// <summary>Per-example gradients [b, P] of the adapter (rows in adapter order) for the given windows.</summary>
    internal Tensor PerExampleGradients(Tensor input, Tensor target, out Tensor losses)
    {
        (Tensor l, Tensor[] leaves) = _model.PerExampleLosses(input, target);
        l.sum().backward();
        long b = input.shape[0];
        losses = l.detach();
        return cat(leaves.Select(t => t.grad!.view(b, -1)).ToArray(), 1);
    }
}
