namespace FedMesh.Node.Learning;

/// <summary>Settings of the LoRA training-throughput benchmark (`fedmesh bench train`).</summary>
public sealed record TrainBenchmarkOptions
{
    public static readonly TrainBenchmarkOptions Default = new();

    /// <summary>The default model and adapter: what a node actually trains (2×128, 4 heads, context 64, r = 8 on q, v).</summary>
    public ModelOptions Model { get; init; } = ModelOptions.Default;

    public LoraOptions Lora { get; init; } = LoraOptions.Default;

    /// <summary>Batch 16, 2 threads (the machine's cores), fixed seed.</summary>
    public TrainerOptions Trainer { get; init; } = TrainerOptions.Default;

    /// <summary>Timed steps: 300 at ≈50 steps/s is ≈6 s, long enough that timer and scheduling noise are &lt;1 %.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Untimed steps first: libtorch allocates its caches and thread pool on the first few.</summary>
    public int WarmupSteps { get; init; } = 20;
}

/// <summary>Measured LoRA training throughput.</summary>
public sealed record TrainBenchmarkResult(
    double StepsPerSecond, double TokensPerSecond, int Threads, long ParametersTotal, long ParametersTrainable,
    int Steps, int BatchSize, int Context, double Seconds, double FirstLoss, double LastLoss, long WorkingSetBytes);

/// <summary>
/// Times full LoRA training steps (batch sampling from the byte stream, forward, backward, clip, AdamW) of
/// <see cref="TorchLearner"/>. Weights are randomly initialised: step cost does not depend on their values.
/// </summary>
public static class TrainBenchmark
{
    public static TrainBenchmarkResult Run(TrainBenchmarkOptions options, IReadOnlyList<string> documents, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ModelOptions.Require(options.Steps >= 1, nameof(options.Steps), "must be at least 1");
        ModelOptions.Require(options.WarmupSteps >= 0, nameof(options.WarmupSteps), "must be non-negative");
        BaseModel baseModel = Pretrainer.Train(
            new PretrainOptions { Model = options.Model, Steps = 0, Trainer = options.Trainer }, documents, null, CancellationToken.None);
        using var learner = new TorchLearner(baseModel, options.Lora, options.Trainer, documents);
        double first = 0;
        for (int i = 0; i < options.WarmupSteps; i++)
        {
            float loss = learner.Step();
            first = i == 0 ? loss : first;
        }

        long start = time.GetTimestamp();
        double last = 0;
        for (int i = 0; i < options.Steps; i++)
        {
            last = learner.Step();
        }

        double seconds = time.GetElapsedTime(start).TotalSeconds;
        double stepsPerSecond = options.Steps / seconds;
        int tokensPerStep = options.Trainer.BatchSize * options.Model.Context;
        return new TrainBenchmarkResult(
            stepsPerSecond, stepsPerSecond * tokensPerStep, options.Trainer.Threads, learner.TotalParameters,
            learner.TrainableParameters, options.Steps, options.Trainer.BatchSize, options.Model.Context, seconds,
            first, last, Environment.WorkingSet);
    }
}
