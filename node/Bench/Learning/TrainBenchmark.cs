namespace FedMesh.Node.Learning;

/// <summary>Settings of the LoRA training-throughput benchmark (`fedmesh-bench train`).</summary>
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

/// <summary>DP-SGD step time against non-private step time, measured in one run (<c>fedmesh-bench train --dp</c>).</summary>
/// <param name="Plain">The non-private steps.</param>
/// <param name="Private">The record-level DP-SGD steps (expected batch = the plain batch).</param>
/// <param name="Records">Records the DP learner sampled from.</param>
/// <param name="SamplingRate">q = B / records.</param>
public sealed record DpOverheadResult(TrainBenchmarkResult Plain, TrainBenchmarkResult Private, int Records, double SamplingRate, DpSgdOptions Dp)
{
    /// <summary>Seconds per DP step ÷ seconds per non-private step.</summary>
    public double Overhead => Plain.StepsPerSecond / Private.StepsPerSecond;
}

/// <summary>LoRA training throughput on a Hugging Face base, with its load time and the process's peak RSS.</summary>
/// <param name="LoadSeconds">Wall time of HfBase.Load: config, tokenizer, headers, weights and base hash.</param>
/// <param name="ReadSeconds">The part of it spent reading, widening and hashing the weights.</param>
/// <param name="StartupSeconds">Process start to base loaded: what a user waits for (runtime and libtorch start-up included).</param>
public sealed record HfTrainBenchmarkResult(
    TrainBenchmarkResult Train, double LoadSeconds, double ReadSeconds, double StartupSeconds, long PeakRssBytes, string Base, string Modules);

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
        return Time(options, learner, time);
    }

    /// <summary>
    /// The same timed steps on a Hugging Face base (<paramref name="baseDirectory"/>), windows of Model.Context
    /// tokens; also reports the checkpoint's load time and the process's peak resident memory (VmHWM).
    /// </summary>
    public static HfTrainBenchmarkResult RunHf(TrainBenchmarkOptions options, string baseDirectory, IReadOnlyList<string> documents, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ModelOptions.Require(options.Steps >= 1, nameof(options.Steps), "must be at least 1");
        TorchLearner.ApplyThreads(options.Trainer.Threads);
        using HuggingFace.HfBase model = HuggingFace.HfBase.Load(baseDirectory);
        double startup = (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalSeconds;
        using var learner = new TorchLearner(model, options.Lora, options.Trainer, documents, options.Model.Context);
        TrainBenchmarkResult result = Time(options, learner, time);
        return new HfTrainBenchmarkResult(result, model.LoadTime.TotalSeconds, model.ReadTime.TotalSeconds, startup, PeakResidentBytes(), model.Config.ToString(),
            string.Join(' ', HuggingFace.HfAdapterSchema.Modules(model.Config.Architecture, options.Lora)));
    }

    /// <summary>VmHWM of /proc/self/status (peak resident set), or the current working set where it is unavailable.</summary>
    public static long PeakResidentBytes()
    {
        const string Key = "VmHWM:";
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(Key, StringComparison.Ordinal))
                {
                    string kb = line[Key.Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: fall through to the working set.
        }

        return Environment.WorkingSet;
    }

    private static TrainBenchmarkResult Time(TrainBenchmarkOptions options, TorchLearner learner, TimeProvider time)
    {
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
        return Result(options, learner, options.Steps, seconds, first, last);
    }

    /// <summary>Blocks the timed steps are cut into, alternating plain and DP, so that load changes on a shared
    /// machine hit both sides alike (one long block each measured the machine, not the method).</summary>
    private const int Blocks = 10;

    /// <summary>
    /// Times non-private steps (windows from the concatenated documents) and record-level DP-SGD steps (Poisson batches
    /// of <paramref name="records"/> with expected size = the batch, per-record gradients, clipping, noise) on the same
    /// base, adapter and batch, in alternating blocks.
    /// </summary>
    public static DpOverheadResult RunDpOverhead(TrainBenchmarkOptions options, IReadOnlyList<string> documents, IReadOnlyList<string> records, DpSgdOptions dp, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(dp);
        ArgumentNullException.ThrowIfNull(time);
        ModelOptions.Require(options.Steps >= Blocks, nameof(options.Steps), $"must be at least {Blocks} with --dp");
        BaseModel baseModel = Pretrainer.Train(
            new PretrainOptions { Model = options.Model, Steps = 0, Trainer = options.Trainer }, documents, null, CancellationToken.None);
        using var plain = new TorchLearner(baseModel, options.Lora, options.Trainer, documents);
        using var dpLearner = new TorchLearner(baseModel, options.Lora, options.Trainer with { DpSgd = dp }, records);
        var learners = new[] { plain, dpLearner };
        var seconds = new double[2];
        var first = new double[2];
        var last = new double[2];
        for (int k = 0; k < 2; k++)
        {
            for (int i = 0; i < options.WarmupSteps; i++)
            {
                float loss = learners[k].Step();
                first[k] = i == 0 ? loss : first[k];
            }
        }

        int perBlock = options.Steps / Blocks;
        for (int b = 0; b < Blocks; b++)
        {
            for (int k = 0; k < 2; k++)
            {
                long start = time.GetTimestamp();
                for (int i = 0; i < perBlock; i++)
                {
                    last[k] = learners[k].Step();
                }

                seconds[k] += time.GetElapsedTime(start).TotalSeconds;
            }
        }

        int steps = perBlock * Blocks;
        return new DpOverheadResult(
            Result(options, plain, steps, seconds[0], first[0], last[0]), Result(options, dpLearner, steps, seconds[1], first[1], last[1]),
            records.Count, dpLearner.SamplingRate, dp);
    }

    private static TrainBenchmarkResult Result(TrainBenchmarkOptions options, TorchLearner learner, int steps, double seconds, double first, double last)
    {
        double stepsPerSecond = steps / seconds;
        int tokensPerStep = options.Trainer.BatchSize * options.Model.Context;
        return new TrainBenchmarkResult(
            stepsPerSecond, stepsPerSecond * tokensPerStep, options.Trainer.Threads, learner.TotalParameters,
            learner.TrainableParameters, steps, options.Trainer.BatchSize, options.Model.Context, seconds,
            first, last, Environment.WorkingSet);
    }
}
