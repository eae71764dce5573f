using FedMesh.Node.Learning.Internal;
using FedMesh.Protocol.Deltas;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;

namespace FedMesh.Node.Learning;

/// <summary>
/// The real learner: a frozen <see cref="BaseModel"/> with LoRA adapters trained by AdamW on local documents.
/// Not thread-safe: one caller at a time (the node's learning loop). libtorch's thread count is process-wide.
/// </summary>
public sealed partial class TorchLearner : ILearner
{
    private readonly ByteTransformer _model;
    private readonly TrainerOptions _trainer;
    private readonly StepRunner _runner;
    private readonly Parameter[] _adapterParameters;
    private readonly ILogger _logger;
    private readonly byte[] _baseHash;
    private bool _disposed;

    /// <param name="baseModel">The shared frozen base.</param>
    /// <param name="lora">Adapter shape; with the base it fixes the schema.</param>
    /// <param name="trainer">Optimiser, batch, threads and seed.</param>
    /// <param name="trainingDocuments">Local private text; at least Context + 2 bytes.</param>
    public TorchLearner(BaseModel baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(lora);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(trainingDocuments);
        trainer.Validate();
        Schema = LoraLayout.Schema(baseModel.Options, lora);
        _trainer = trainer;
        _logger = logger ?? NullLogger.Instance;
        _baseHash = baseModel.Hash;
        ApplyThreads(trainer.Threads);
        var sampler = new BatchSampler(ByteStream.Concatenate(trainingDocuments), trainer.BatchSize, baseModel.Options.Context, new Random(trainer.Seed));
        _model = ByteTransformer.FromBase(baseModel);
        try
        {
            _model.AttachLora(lora, trainer.Seed);
            _adapterParameters = _model.AdapterParameters.Select(p => p.Parameter).ToArray();
            _runner = new StepRunner(_model, _adapterParameters, sampler, trainer);
        }
        catch
        {
            _model.Dispose();
            throw;
        }

        Log.LearnerReady(_logger, baseModel.ParameterCount, Schema.TotalElements, Schema.HashHex, baseModel.HashHex);
    }

    public AdapterSchema Schema { get; }

    public ReadOnlyMemory<byte> BaseModelHash => _baseHash;

    /// <summary>Base weights (frozen) plus adapter weights.</summary>
    public long TotalParameters => _model.BaseParameters.Sum(p => p.Parameter.numel()) + TrainableParameters;

    /// <summary>Adapter weights: the only ones that train.</summary>
    public long TrainableParameters => Schema.TotalElements;

    public LocalRound Train(int steps, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ApplyThreads(_trainer.Threads);
        float[] before = GetAdapter();
        double lossSum = 0;
        int done = 0;
        for (; done < steps && !cancellationToken.IsCancellationRequested; done++)
        {
            lossSum += _runner.Step();
        }

        float[] delta = GetAdapter();
        System.Numerics.Tensors.TensorPrimitives.Subtract(delta, before, delta);
        double mean = done == 0 ? double.NaN : lossSum / done;
        Log.RoundFinished(_logger, done, mean);
        return new LocalRound(delta, mean, done);
    }

    /// <summary>The base weights as they are now (frozen: equal to the constructor's base, bit for bit).</summary>
    internal BaseModel SnapshotBase() => _model.ToBase();

    /// <summary>Runs one training step (for benchmarks); returns its loss.</summary>
    public float Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _runner.Step();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _model.Dispose();
    }

    /// <summary>Sets libtorch's intra-op thread count (process-wide); 0 keeps libtorch's default.</summary>
    internal static void ApplyThreads(int threads)
    {
        if (threads > 0 && torch.get_num_threads() != threads)
        {
            torch.set_num_threads(threads);
        }
    }
}
