using System.Diagnostics;
using System.Globalization;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Learning;

namespace FedMesh.NetSim.Simulation.Internal;

/// <summary>
/// Everything a torch run shares between the mesh and its baselines: the cached pretrained base, the adapter and
/// trainer settings, each node's era of the shipped SOTU corpus (<see cref="SotuPartition"/>: node i = era i, the
/// global held-out addresses in no node's data) and the evaluation samples.
/// </summary>
internal sealed class SotuWorkload(
    TorchSpec spec,
    BaseModel baseModel,
    TrainerOptions trainer,
    IReadOnlyList<IReadOnlyList<string>> train,
    IReadOnlyList<IReadOnlyList<string>> localEval,
    IReadOnlyList<string> globalEval)
{
    /// <summary>A node's local held-out share, the daemon's <c>data.holdout_fraction</c> default.</summary>
    private const double LocalHoldoutFraction = 0.1;

    public TorchSpec Spec => spec;

    public BaseModel Base => baseModel;

    public LoraOptions Lora => spec.Lora;

    /// <summary>Every node's trainer: the same seed everywhere, because the seed fixes LoRA A's initialisation and
    /// states are averaged factor by factor (as the daemon does; batches differ anyway since the data differ).</summary>
    public TrainerOptions Trainer => trainer;

    /// <summary>Node i's training texts (its era minus its local held-out addresses).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Train => train;

    /// <summary>Node i's validation-gate sample (slices of its local held-out addresses).</summary>
    public IReadOnlyList<IReadOnlyList<string>> LocalEval => localEval;

    /// <summary>The bpc sample: slices of every global held-out address.</summary>
    public IReadOnlyList<string> GlobalEval => globalEval;

    /// <summary>Loads (or pretrains and caches) the base and splits the corpus for <paramref name="nodes"/> nodes.</summary>
    public static SotuWorkload Create(TorchSpec spec, int nodes, ulong seed, Action<string> info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(info);
        BaseModel baseModel = LoadBase(spec, info, cancellationToken);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), nodes, SotuSplitOptions.Default);
        var train = new List<IReadOnlyList<string>>();
        var local = new List<IReadOnlyList<string>>();
        for (int i = 0; i < nodes; i++)
        {
            var (own, held) = EvalSample.LocalSplit(partition.Shards[i].Addresses, SimSeeds.UInt64(seed, "local-holdout", i), LocalHoldoutFraction);
            info($"  {partition.Shards[i].Describe()}; {held.Count} address(es) held out for the validation gate");
            train.Add(own.Select(a => a.Text).ToArray());
            local.Add(EvalSample.Slices(held.Select(a => a.Text).ToArray(), spec.EvalChars));
        }

        IReadOnlyList<string> global = EvalSample.Slices(partition.Holdout.Select(a => a.Text).ToArray(), spec.EvalChars);
        var trainer = TrainerOptions.Default with
        {
            BatchSize = spec.BatchSize,
            LearningRate = spec.LearningRate,
            Threads = spec.Threads,
            Seed = SimSeeds.Int(seed, "lora"),
            // Never cut a sample: the cap is the longest sample's byte stream.
            MaxEvalBytes = local.Append(global).Max(EvalSample.StreamBytes),
        };
        return new SotuWorkload(spec, baseModel, trainer, train, local, global);
    }

    /// <summary>A learner on <paramref name="documents"/>; <paramref name="batchSize"/> overrides the batch (pooled baseline).</summary>
    public TorchLearner NewLearner(IReadOnlyList<string> documents, int? batchSize = null) =>
        new(Base, Lora, batchSize is { } b ? Trainer with { BatchSize = b } : Trainer, documents);

    private static BaseModel LoadBase(TorchSpec spec, Action<string> info, CancellationToken cancellationToken)
    {
        PretrainOptions pretrain = spec.Pretrain;
        string cache = spec.CacheDirectory ?? BaseModelCache.DefaultDirectory;
        string path = BaseModelCache.PathFor(pretrain, cache);
        if (File.Exists(path))
        {
            info($"base model: {path}");
            return BaseModelCache.GetOrCreate(pretrain, cache, cancellationToken: cancellationToken);
        }

        info(string.Create(CultureInfo.InvariantCulture,
            $"pretraining the base model on Moby-Dick ({spec.PretrainSteps} steps, {spec.Threads} thread(s)): this takes minutes; cached in {cache}, later runs reuse it"));
        var clock = Stopwatch.StartNew();
        // A line every tenth of the run, reported synchronously (Progress<T> would post to the thread pool).
        int every = Math.Max(1, spec.PretrainSteps / 10);
        var progress = new Lines(p =>
        {
            if (p.Step % every == 0 || p.Step == p.TotalSteps)
            {
                info(string.Create(CultureInfo.InvariantCulture,
                    $"  pretrain step {p.Step}/{p.TotalSteps}: loss {p.Loss:F3}, {p.Step / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):F1} steps/s"));
            }
        });
        return BaseModelCache.GetOrCreate(pretrain, cache, progress, cancellationToken: cancellationToken);
    }

    private sealed class Lines(Action<PretrainProgress> report) : IProgress<PretrainProgress>
    {
        public void Report(PretrainProgress value) => report(value);
    }
}
