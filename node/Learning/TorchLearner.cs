using FedMesh.Node.Learning.Internal;
using FedMesh.Node.Privacy;
using FedMesh.Node.Privacy.Internal;
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
    /// <param name="trainingDocuments">Local private text; at least Context + 2 bytes. With
    /// <see cref="TrainerOptions.DpSgd"/> each document is one record (the privacy unit).</param>
    /// <remarks>DP-SGD draws its noise and its Poisson batches from the OS CSPRNG (<see cref="GaussianNoiseSource.CreateSecure"/>).</remarks>
    public TorchLearner(BaseModel baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, ILogger? logger = null)
        : this(baseModel, lora, trainer, trainingDocuments, logger, null, null)
    {
    }

    /// <summary>Tests only: DP-SGD noise and sampling from the given (seeded) sources instead of the CSPRNG.</summary>
    internal TorchLearner(
        BaseModel baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, ILogger? logger,
        IGaussianNoiseSource? dpNoise, IRandomWords? dpSampling)
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
        BatchSampler? sampler = trainer.DpSgd is null
            ? new BatchSampler(ByteStream.Concatenate(trainingDocuments), trainer.BatchSize, baseModel.Options.Context, new Random(trainer.Seed))
            : null;
        _model = ByteTransformer.FromBase(baseModel);
        try
        {
            _model.AttachLora(lora, trainer.Seed);
            _adapterParameters = _model.AdapterParameters.Select(p => p.Parameter).ToArray();
            if (trainer.DpSgd is null)
            {
                _runner = new StepRunner(_model, _adapterParameters, sampler!, trainer);
            }
            else
            {
                SamplingRate = DpSgdOptions.SamplingRate(trainer.BatchSize, trainingDocuments.Count);
                var records = new RecordSampler(trainingDocuments, baseModel.Options.Context, SamplingRate, dpSampling ?? new CryptoRandomWords());
                _runner = new StepRunner(_model, _adapterParameters, records, trainer, dpNoise ?? GaussianNoiseSource.CreateSecure());
            }
        }
        catch
        {
            _model.Dispose();
            throw;
        }

        Log.LearnerReady(_logger, baseModel.ParameterCount, Schema.TotalElements, Schema.HashHex, baseModel.HashHex);
    }

    public AdapterSchema Schema { get; }

    /// <summary>Poisson sampling rate q = B/n of a DP-SGD step (records = training documents); 1 without DP-SGD.</summary>
    public double SamplingRate { get; } = 1.0;

    /// <summary>The step runner (tests reach the per-example gradients through it).</summary>
    internal StepRunner Runner => _runner;

    /// <summary>The model (tests compare per-example gradients with a naive loop over it).</summary>
    internal ByteTransformer Model => _model;

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
        int done = 0, scored = 0;
        for (; done < steps && !cancellationToken.IsCancellationRequested; done++)
        {
            float loss = _runner.Step();
            if (!float.IsNaN(loss))
            {
                // A DP-SGD step whose Poisson draw took no record has no loss (it still applied its noise).
                lossSum += loss;
                scored++;
            }
        }

        float[] delta = GetAdapter();
        System.Numerics.Tensors.TensorPrimitives.Subtract(delta, before, delta);
        double mean = scored == 0 ? double.NaN : lossSum / scored;
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
