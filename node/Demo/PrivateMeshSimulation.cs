using System.Globalization;
using System.Numerics.Tensors;
using FedMesh.Node.Configuration;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Learning;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Demo;

/// <summary>Settings of one in-process private-mesh run (<c>fedmesh bench dp-mesh</c>).</summary>
public sealed record PrivateMeshOptions
{
    /// <summary>The demo's learning settings (nodes, rounds, steps, batch, rate, adapter, records, C, ε).</summary>
    public DemoOptions Demo { get; init; } = PrivateMeshSimulation.DemoDefaults;

    /// <summary>record | node | off (<see cref="PrivacyLevels"/>); ε = <see cref="DemoOptions.EpsilonBudget"/>.</summary>
    public string Level { get; init; } = PrivacyLevels.Record;

    /// <summary>Also train the local-only baselines (each node alone, no privacy, the demo's baseline settings:
    /// <see cref="DemoOptions.LocalOnlySteps"/> steps of <see cref="DemoOptions.LocalOnlyBatchSize"/> windows at
    /// <see cref="DemoOptions.LocalOnlyLearningRate"/>).</summary>
    public bool LocalOnly { get; init; } = true;

    /// <summary>A canary to insert into node 1's data and measure the exposure of under the mesh's final state (the
    /// state every other node adopts); null = none.</summary>
    public CanarySpec? Canary { get; init; }

    /// <summary>Seeds the LoRA A initialisation and the non-private batch sampler (DP noise and Poisson draws come
    /// from the OS CSPRNG, as in a node).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Score the mesh's state on the held-out slice after every this many rounds (0 = only at the end).</summary>
    public int EvalEvery { get; init; }
}

/// <summary>What one run measured: bits per byte on the demo's global held-out slice, and each node's mechanism.</summary>
public sealed record PrivateMeshResult(
    string Level, double Epsilon, double BaseBpc, double MeshBpc, double LocalOnlyBpc, IReadOnlyList<int> Records,
    IReadOnlyList<double> NoiseMultipliers, IReadOnlyList<double> SamplingRates, IReadOnlyList<double> NodeEpsilons, double Delta,
    IReadOnlyList<(int Round, double Bpc)> MeshCurve, double Seconds)
{
    /// <summary>FFA-LoRA run (A frozen, only B trained and exchanged).</summary>
    public bool FrozenA { get; init; }

    /// <summary>The run's seed (<see cref="PrivateMeshOptions.Seed"/>).</summary>
    public int Seed { get; init; }

    /// <summary>Exposure of <see cref="PrivateMeshOptions.Canary"/> in bits under the final state (NaN without a canary).</summary>
    public double CanaryExposureBits { get; init; } = double.NaN;

    /// <summary>The format's maximum exposure for the candidates scored: log2(candidates + 1).</summary>
    public double CanaryMaxExposureBits { get; init; } = double.NaN;

    /// <summary>The level, prefixed "ffa:" for FFA-LoRA.</summary>
    public string Label => FrozenA ? "ffa:" + Level : Level;
}

/// <summary>
/// The demo's mesh without processes or sockets: N learners of the demo's setting (era shards of the SOTU corpus,
/// paragraph records, the demo's adapter, batch, rate and steps), each round every node starts from the mesh's state,
/// trains its local steps under the chosen privacy level (the node's own code: record-level DP-SGD in
/// <see cref="TorchLearner"/>, node-level <see cref="LocalDpMechanism"/> on the round's update), and the states are
/// merged by the demo's rule (synchronous: every node adopts the same merge, as the demo's nodes do when every
/// state arrives in time and the gate accepts). σ is planned per node for the whole run exactly as a node plans it
/// (<see cref="NodePrivacy"/>). Used to separate what costs utility under DP (noise, batch, rate, merge) at a
/// fraction of the demo's cost, and for the ε table.
/// </summary>
public static class PrivateMeshSimulation
{
    /// <summary>The merge rules the synchronous in-process mesh implements (<see cref="MergeStates"/>).</summary>
    public static readonly IReadOnlyList<string> MergeRules = ["mean", "trimmed_mean"];

    /// <summary>The demo's settings with the simulation's own merge rule, the trimmed mean: the daemons' default,
    /// centered clipping, clips neighbours around a node's own state, which this synchronous all-to-all merge of one
    /// shared state does not have.</summary>
    public static readonly DemoOptions DemoDefaults = DemoOptions.Default with { MergeRule = "trimmed_mean" };

    public static PrivateMeshResult Run(PrivateMeshOptions options, Action<string> info, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(info);
        DemoOptions demo = options.Demo;
        PrivacyLevel level = PrivacyLevels.Parse(options.Level) ?? throw new ArgumentException($"level must be one of {string.Join(", ", PrivacyLevels.Names)}, got \"{options.Level}\"", nameof(options));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        BaseModel baseModel = BaseModelCache.GetOrCreate(
            PretrainOptions.Default with { Steps = demo.PretrainSteps, Trainer = PretrainOptions.Default.Trainer with { Threads = demo.PretrainThreads } },
            demo.CacheDirectory ?? BaseModelCache.DefaultDirectory, cancellationToken: cancel);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), demo.Nodes, SotuSplitOptions.Default);
        IReadOnlyList<string> holdout = partition.Holdout.Select(a => a.Text).ToArray();
        IReadOnlyList<string>[] records = partition.Shards.Select(s => TextRecords.Paragraphs(s.Texts, demo.RecordChars)).ToArray();
        if (options.Canary is { } canary)
        {
            // k records of node 1 are the canary sentence (Carlini et al. 2019 insert it k times): under record-level
            // DP its guarantee is then group privacy over k records.
            records[0] = records[0].Concat(Enumerable.Repeat(canary.Secret, canary.Copies)).ToArray();
        }

        (LoraOptions lora, TrainerOptions trainer) = LearnerOptions(demo, options.Seed);
        int steps = demo.LocalSteps;

        var sigmas = new double[demo.Nodes];
        var rates = new double[demo.Nodes];
        var epsilons = new double[demo.Nodes];
        double delta = PrivacyPlanner.DefaultDelta(records.Min(r => r.Count));
        for (int i = 0; i < demo.Nodes; i++)
        {
            int n = records[i].Count;
            double d = PrivacyPlanner.DefaultDelta(n);
            (rates[i], sigmas[i], epsilons[i]) = level switch
            {
                PrivacyLevel.Record => Plan(demo.EpsilonBudget, d, n, demo.BatchSize, steps, demo.Rounds),
                PrivacyLevel.Node => Plan(demo.EpsilonBudget, d, 1, 1, 1, demo.Rounds),
                _ => (0, 0, 0),
            };
        }

        TorchLearner[] learners = Enumerable.Range(0, demo.Nodes).Select(i => new TorchLearner(
            baseModel, lora, trainer with { Threads = 1, DpSgd = level == PrivacyLevel.Record ? new DpSgdOptions { ClipNorm = demo.ClipNorm, NoiseMultiplier = sigmas[i] } : null },
            records[i])).ToArray();
        var curve = new List<(int, double)>();
        double baseBpc, meshBpc;
        try
        {
            using var scorer = new TorchLearner(baseModel, lora, trainer, holdout);
            baseBpc = scorer.Evaluate(holdout, new float[scorer.Schema.TotalElements]).BitsPerByte;
            float[] state = learners[0].GetAdapter();
            var states = new float[demo.Nodes][];
            IGaussianNoiseSource noise = GaussianNoiseSource.CreateSecure();
            for (int round = 1; round <= demo.Rounds && !cancel.IsCancellationRequested; round++)
            {
                float[] start = state;
                System.Threading.Tasks.Parallel.For(0, demo.Nodes, Parallel, i =>
                {
                    learners[i].SetAdapter(start);
                    LocalRound local = learners[i].Train(steps, cancel);
                    if (Merge.DeltaValidator.IndexOfNonFinite(local.Delta) >= 0)
                    {
                        // As a node does: a diverged update is neither released nor adopted (the node keeps the start).
                        states[i] = (float[])start.Clone();
                        return;
                    }

                    if (level == PrivacyLevel.Node)
                    {
                        lock (noise)
                        {
                            LocalDpMechanism.PrivatizeInPlace(local.Delta, demo.ClipNorm, sigmas[i], noise);
                        }
                    }

                    float[] own = (float[])start.Clone();
                    TensorPrimitives.Add(own, local.Delta, own);
                    states[i] = own;
                });
                state = MergeStates(states, demo.MergeRule);
                if (options.EvalEvery > 0 && (round % options.EvalEvery == 0 || round == demo.Rounds))
                {
                    double bpc = scorer.Evaluate(holdout, state).BitsPerByte;
                    curve.Add((round, bpc));
                    info(string.Create(CultureInfo.InvariantCulture, $"  {options.Level} mesh round {round}/{demo.Rounds}: {bpc:F4} bpc"));
                }
            }

            meshBpc = curve.Count > 0 && curve[^1].Item1 == demo.Rounds ? curve[^1].Item2 : scorer.Evaluate(holdout, state).BitsPerByte;
            double localBpc = options.LocalOnly ? LocalOnlyBpc(demo, options.Seed, cancel) : double.NaN;
            (double exposure, double maxExposure) = options.Canary is { } c ? Exposure(scorer, state, c) : (double.NaN, double.NaN);

            return new PrivateMeshResult(
                options.Level, level == PrivacyLevel.Off ? double.PositiveInfinity : demo.EpsilonBudget, baseBpc, meshBpc, localBpc,
                records.Select(r => r.Count).ToArray(), sigmas, rates, epsilons, delta, curve, clock.Elapsed.TotalSeconds)
            {
                FrozenA = demo.FrozenA,
                Seed = options.Seed,
                CanaryExposureBits = exposure,
                CanaryMaxExposureBits = maxExposure,
            };
        }
        finally
        {
            foreach (TorchLearner l in learners)
            {
                l.Dispose();
            }
        }
    }

    /// <summary>
    /// The local-only baseline of the demo's setting: each node's learner alone on its own records (no canary), no
    /// privacy, <see cref="DemoOptions.LocalOnlySteps"/> steps of <see cref="DemoOptions.LocalOnlyBatchSize"/> windows
    /// at <see cref="DemoOptions.LocalOnlyLearningRate"/>; the mean of the nodes' bits per byte on the global held-out
    /// slice. It depends on the seed (and FFA-LoRA), not on the mesh's privacy level or ε, so the bench trains it once
    /// per seed.
    /// </summary>
    public static double LocalOnlyBpc(DemoOptions demo, int seed, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(demo);
        BaseModel baseModel = BaseModelCache.GetOrCreate(
            PretrainOptions.Default with { Steps = demo.PretrainSteps, Trainer = PretrainOptions.Default.Trainer with { Threads = demo.PretrainThreads } },
            demo.CacheDirectory ?? BaseModelCache.DefaultDirectory, cancellationToken: cancel);
        SotuPartition partition = SotuPartition.Create(SotuCorpus.ReadShipped(), demo.Nodes, SotuSplitOptions.Default);
        IReadOnlyList<string> holdout = partition.Holdout.Select(a => a.Text).ToArray();
        (LoraOptions lora, TrainerOptions trainer) = LearnerOptions(demo.LocalOnlyDemo(), seed);
        return LocalOnlyBaseline.Run(demo.Nodes, i => new TorchLearner(baseModel, lora, trainer with { Threads = 1 }, TextRecords.Paragraphs(partition.Shards[i].Texts, demo.RecordChars)),
            demo.LocalOnlySteps, holdout, Parallel.MaxDegreeOfParallelism, cancel).Average();
    }

    /// <summary>Learner options of the demo's nodes; seeds 1..N vary A's initialisation (plain LoRA) or, under
    /// FFA-LoRA, the mesh id it is derived from.</summary>
    private static (LoraOptions Lora, TrainerOptions Trainer) LearnerOptions(DemoOptions demo, int seed)
    {
        (LoraOptions lora, TrainerOptions trainer) = Hosting.NodeFactory.LearnerOptions(DemoRunner.NodeLearning(demo) with { EvalBytes = demo.EvalBytes }, DemoRunner.MeshName);
        return (lora, trainer with { Seed = demo.FrozenA ? Hosting.NodeFactory.FrozenASeed($"{DemoRunner.MeshName}-{seed}") : seed });
    }

    /// <summary>The canary's exposure under <paramref name="state"/>: each text scored by its bits per byte (the
    /// prefix is common, so the ranking is the secret part's).</summary>
    private static (double Exposure, double Max) Exposure(TorchLearner scorer, float[] state, CanarySpec canary) =>
        CanaryExposure.Measure(text => scorer.Evaluate([text], state).BitsPerByte, canary.Secret, canary.Candidates, canary.CandidateSeed);

    /// <summary>One learner at a time: with four learners training on parallel threads of one process libtorch failed
    /// once in a scalar conversion of an ordinary add (`toFloat`, measured 2026-12-04 in this bench), so the in-process
    /// mesh does not share libtorch between threads; the demo's nodes are separate processes anyway.</summary>
    private static ParallelOptions Parallel => new() { MaxDegreeOfParallelism = 1 };

    /// <summary>(q, σ, ε spent) of the planned run: what <see cref="Hosting.NodePrivacy"/> resolves for a node.</summary>
    private static (double Q, double Sigma, double Epsilon) Plan(double epsilon, double delta, int records, int batch, int steps, int rounds)
    {
        PrivacyPlan plan = PrivacyPlanner.Plan(new PrivacyPlanRequest(epsilon, delta, records, batch, steps, rounds));
        return (plan.SamplingRate, plan.NoiseMultiplier, plan.Epsilon);
    }

    /// <summary>The demo's merge of the nodes' states: "mean" or "trimmed_mean" at the node default trim fraction.</summary>
    private static float[] MergeStates(float[][] states, string rule)
    {
        var merged = new float[states[0].Length];
        var inputs = states.Select(s => (ReadOnlyMemory<float>)s).ToArray();
        float[] weights = Enumerable.Repeat(1f, states.Length).ToArray();
        switch (rule)
        {
            case "mean":
                FedMesh.Node.Merge.Aggregation.WeightedMean(inputs, weights, merged);
                break;
            case "trimmed_mean":
                FedMesh.Node.Merge.Aggregation.TrimmedMean(inputs, weights, MergeSection.Default.TrimFraction, merged);
                break;
            default:
                throw new ArgumentException($"the simulation merges by mean or trimmed_mean, not \"{rule}\"", nameof(rule));
        }

        return merged;
    }
}

/// <summary>A canary (Carlini et al. 2019): <paramref name="Secret"/> inserted <paramref name="Copies"/> times as
/// records of one node; exposure is its rank among <paramref name="Candidates"/> random texts of the same format
/// drawn from <paramref name="CandidateSeed"/>.</summary>
public sealed record CanarySpec(string Secret, int Copies, int Candidates, int CandidateSeed);
