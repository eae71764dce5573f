using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Learning.HuggingFace.Internal;
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
    private readonly IAdapterModel _model;
    private readonly TokenCodec _codec;
    private readonly TrainerOptions _trainer;
    private readonly StepRunner? _runner;
    private readonly Parameter[] _adapterParameters;
    private readonly ILogger _logger;
    private readonly byte[] _baseHash;
    private bool _disposed;

    /// <param name="baseModel">The shared frozen base.</param>
    /// <param name="lora">Adapter shape; with the base it fixes the schema.</param>
    /// <param name="trainer">Optimiser, batch, threads and seed.</param>
    /// <param name="trainingDocuments">Local private text; at least Context + 2 bytes, or none for a learner that only
    /// scores and generates. With
    /// <see cref="TrainerOptions.DpSgd"/> each document is one record (the privacy unit).</param>
    /// <remarks>DP-SGD draws its noise and its Poisson batches from the OS CSPRNG (<see cref="GaussianNoiseSource.CreateSecure"/>).</remarks>
    public TorchLearner(BaseModel baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, ILogger? logger = null)
        : this(baseModel, lora, trainer, trainingDocuments, logger, null, null)
    {
    }

    /// <summary>A learner over a Hugging Face base (shared, not copied: the base must outlive the learner).</summary>
    /// <param name="context">Tokens per training and evaluation window (at most the model's positions).</param>
    public TorchLearner(HfBase baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, int context, ILogger? logger = null)
        : this(HfSchema(baseModel, lora, context), HfModel(baseModel, lora, trainer, context), new HfCodec(baseModel), baseModel.Hash, baseModel.HashHex,
            trainer, trainingDocuments, logger, null, null)
    {
    }

    /// <summary>Tests only: DP-SGD noise and sampling from the given (seeded) sources instead of the CSPRNG.</summary>
    internal TorchLearner(
        BaseModel baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, ILogger? logger,
        IGaussianNoiseSource? dpNoise, IRandomWords? dpSampling)
        : this(ByteSchema(baseModel, lora), ByteModel(baseModel, lora, trainer), ByteCodec.Instance, baseModel.Hash, baseModel.HashHex,
            trainer, trainingDocuments, logger, dpNoise, dpSampling)
    {
    }

    /// <summary>Tests only: a Hugging Face learner with seeded DP-SGD noise and sampling.</summary>
    internal TorchLearner(
        HfBase baseModel, LoraOptions lora, TrainerOptions trainer, IReadOnlyList<string> trainingDocuments, int context, ILogger? logger,
        IGaussianNoiseSource? dpNoise, IRandomWords? dpSampling)
        : this(HfSchema(baseModel, lora, context), HfModel(baseModel, lora, trainer, context), new HfCodec(baseModel), baseModel.Hash, baseModel.HashHex,
            trainer, trainingDocuments, logger, dpNoise, dpSampling)
    {
    }

    /// <summary>Takes ownership of <paramref name="model"/> (disposed here if construction fails).</summary>
    private TorchLearner(
        AdapterSchema schema, IAdapterModel model, TokenCodec codec, byte[] baseHash, string baseHashHex, TrainerOptions trainer,
        IReadOnlyList<string> trainingDocuments, ILogger? logger, IGaussianNoiseSource? dpNoise, IRandomWords? dpSampling)
    {
        Schema = schema;
        _model = model;
        _codec = codec;
        _trainer = trainer;
        _logger = logger ?? NullLogger.Instance;
        _baseHash = baseHash;
        try
        {
            ArgumentNullException.ThrowIfNull(trainingDocuments);
            ApplyThreads(trainer.Threads);
            _adapterParameters = _model.AdapterParameters.Select(p => p.Parameter).ToArray();
            if (trainingDocuments.Count == 0)
            {
                // Scoring and generation only (fedmesh eval / generate): no sampler, Train and Step refuse.
                _runner = null;
            }
            else if (trainer.DpSgd is null)
            {
                var sampler = new BatchSampler(codec.Stream(trainingDocuments).Tokens, trainer.BatchSize, model.Context, new Random(trainer.Seed));
                _runner = new StepRunner(_model, _adapterParameters, sampler, trainer);
            }
            else
            {
                SamplingRate = DpSgdOptions.SamplingRate(trainer.BatchSize, trainingDocuments.Count);
                var records = new RecordSampler(codec.Records(trainingDocuments), codec.Separator, model.Context, SamplingRate, dpSampling ?? new CryptoRandomWords());
                _runner = new StepRunner(_model, _adapterParameters, records, trainer, dpNoise ?? GaussianNoiseSource.CreateSecure());
            }
        }
        catch
        {
            _model.Dispose();
            throw;
        }

        Log.LearnerReady(_logger, model.BaseParameterCount, Schema.TotalElements, Schema.HashHex, baseHashHex);
    }

    public AdapterSchema Schema { get; }

    /// <summary>Poisson sampling rate q = B/n of a DP-SGD step (records = training documents); 1 without DP-SGD.</summary>
    public double SamplingRate { get; } = 1.0;

    /// <summary>The step runner (tests reach the per-example gradients through it).</summary>
    internal StepRunner Runner => _runner ?? throw new InvalidOperationException("this learner was made without training documents (scoring only)");

    /// <summary>The built-in model (tests compare per-example gradients with a naive loop over it).</summary>
    internal ByteTransformer Model => (ByteTransformer)_model;

    /// <summary>The model, whichever base it runs on.</summary>
    internal IAdapterModel AdapterModel => _model;

    public ReadOnlyMemory<byte> BaseModelHash => _baseHash;

    /// <summary>Base weights (frozen) plus adapter weights.</summary>
    public long TotalParameters => _model.BaseParameterCount + TrainableParameters;

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
            float loss = Runner.Step();
            if (!float.IsNaN(loss))
            {
                // A DP-SGD step whose Poisson draw took no record has no loss (it still applied its noise).
                lossSum += loss;
                scored++;
            }
        }

        // The step's activations and gradients went back to glibc's heap, which keeps freed pages resident (per arena,
        // fragmented by the interleaving of libtorch's allocations): without this trim a daemon's RSS swings by
        // ±100 MiB from round to round and ratchets up with every thread that ever allocated (measured on the flood
        // test's daemons: 378–738 MiB for the same model and data). Trimming costs a few milliseconds a round.
        LinuxMemory.TrimHeap();
        float[] delta = GetAdapter();
        System.Numerics.Tensors.TensorPrimitives.Subtract(delta, before, delta);
        double mean = scored == 0 ? double.NaN : lossSum / scored;
        Log.RoundFinished(_logger, done, mean);
        return new LocalRound(delta, mean, done);
    }

    /// <summary>The base weights as they are now (frozen: equal to the constructor's base, bit for bit).</summary>
    internal BaseModel SnapshotBase() => Model.ToBase();

    /// <summary>Runs one training step (for benchmarks); returns its loss.</summary>
    public float Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Runner.Step();
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

    private static AdapterSchema ByteSchema(BaseModel baseModel, LoraOptions lora)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(lora);
        return LoraLayout.Schema(baseModel.Options, lora);
    }

    private static ByteTransformer ByteModel(BaseModel baseModel, LoraOptions lora, TrainerOptions trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.Validate();
        ByteTransformer model = ByteTransformer.FromBase(baseModel);
        try
        {
            model.AttachLora(lora, trainer.Seed);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static AdapterSchema HfSchema(HfBase baseModel, LoraOptions lora, int context)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(lora);
        ModelOptions.Require(context >= 2 && context <= baseModel.Config.MaxPositions, nameof(context), $"must be 2..{baseModel.Config.MaxPositions} (the model's positions)");
        return HfAdapterSchema.Create(baseModel.Config, lora);
    }

    private static HfTransformer HfModel(HfBase baseModel, LoraOptions lora, TrainerOptions trainer, int context)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.Validate();
        return new HfTransformer(baseModel, context, HfAdapterSchema.Sites(baseModel.Config, lora), lora, trainer.Seed);
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
