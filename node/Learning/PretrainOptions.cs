namespace FedMesh.Node.Learning;

/// <summary>Full training of the shared base model on a public corpus (every weight trains).</summary>
public sealed record PretrainOptions
{
    public static readonly PretrainOptions Default = new();

    public ModelOptions Model { get; init; } = ModelOptions.Default;

    /// <summary>gzip JSON lines with a "text" field; null = the shipped Moby-Dick (public domain).</summary>
    public string? CorpusPath { get; init; }

    /// <summary>3000 steps × 1024 bytes ≈ 2.5 passes over Moby-Dick: past the fast early drop in loss; ≈3 minutes on an idle 2-core machine (≈17 full steps/s, measured).</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>
    /// Batch, rates, clipping, threads and seed; 3e-3 suits a model this small with AdamW. One libtorch thread: the
    /// weights depend on the thread count (libtorch splits its reductions by thread, so the sums round differently),
    /// and every node of a mesh must hold the same base bytes (its hash is in each manifest). With the daemon
    /// pretraining on 2 threads and the demo on 1 under one cache key, a machine's built-in base depended on which ran
    /// first: the demo scored its base at 2.7684 bits/byte after `fedmesh run` had filled the cache (2 threads), 2.7726
    /// after filling it itself (1 thread). Every pretrainer (the daemon, the demo, `fedmesh pretrain`) now uses this one thread count,
    /// and it is part of the cache key (<see cref="BaseModelCache.Key"/>).
    /// </summary>
    public TrainerOptions Trainer { get; init; } = TrainerOptions.Default with { WeightDecay = 0.01f, Threads = 1 };

    /// <summary>The shipped corpus next to the executable (copied there by the build).</summary>
    public static string DefaultCorpusPath => CorpusFiles.MobyDick;

    public string ResolvedCorpusPath => CorpusPath ?? DefaultCorpusPath;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model);
        ArgumentNullException.ThrowIfNull(Trainer);
        Model.Validate();
        Trainer.Validate();
        ModelOptions.Require(Steps is >= 0 and <= 10_000_000, nameof(Steps), "must be 0..10000000");
    }
}
