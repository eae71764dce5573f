namespace FedMesh.Node.Merge.Bench;

/// <summary>Settings of <c>fedmesh-bench merge</c>.</summary>
public sealed record MergeBenchOptions
{
    public static readonly MergeBenchOptions Default = new();

    /// <summary>Fan-ins measured: 8/16/32 neighbours span small to large gossip degrees.</summary>
    public IReadOnlyList<int> Ks { get; init; } = [8, 16, 32];

    /// <summary>d = 4 Mi floats (16 MiB per delta): the size of a rank-16 LoRA on a ~100M-parameter model's attention.</summary>
    public int Length { get; init; } = 4 * 1024 * 1024;

    /// <summary>Timed runs per measurement; the median is reported, which ignores a stray slow run on a shared machine.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Untimed runs first: JIT tiering to optimised code and first-touch page faults of the output.</summary>
    public int Warmups { get; init; } = 1;

    /// <summary>Cores for both the rules and the memcpy baseline, so the ratio compares like with like.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    public int Seed { get; init; } = 1;
}

/// <summary>One measured figure: input throughput k·d·4 bytes / median time.</summary>
public sealed record MergeBenchResult(string Rule, int K, int D, double GbPerSecond, double RatioToMemcpy, double MedianSeconds);

/// <summary>
/// Throughput of every aggregation rule against a memcpy of the same k·d·4 bytes, measured the same way (warm-up,
/// repeats, median, same core count).
/// </summary>
public static class MergeBenchmark
{
    public static (IReadOnlyList<MergeBenchResult> Rules, IReadOnlyList<MergeBenchResult> Memcpy) Run(
        MergeBenchOptions options, TimeProvider time, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        int d = options.Length;
        int kMax = options.Ks.Max();
        float[][] all = RandomRows(kMax, d, options.Seed);
        var copies = new float[kMax][];
        var destination = new float[d];
        var rules = new List<MergeBenchResult>();
        var memcpy = new List<MergeBenchResult>();
        int dop = options.MaxDegreeOfParallelism;
        var aggregatorOptions = AggregatorOptions.Default with { MaxDegreeOfParallelism = dop };
        foreach (int k in options.Ks)
        {
            ReadOnlyMemory<float>[] rows = all.Take(k).Select(r => (ReadOnlyMemory<float>)r).ToArray();
            float[] weights = Enumerable.Repeat(1f, k).ToArray();
            for (int i = 0; i < k; i++)
            {
                copies[i] ??= new float[d];
            }

            double bytes = (double)k * d * sizeof(float);
            var runs = new List<(string Name, Action Run)> { ("memcpy", () => Memcpy(all, copies, k, d, dop)) };
            foreach (AggregationRule rule in AggregationRuleNames.All)
            {
                Action run = rule switch
                {
                    AggregationRule.Mean => () => Aggregation.WeightedMean(rows, weights, destination, dop),
                    AggregationRule.Median => () => Aggregation.CoordinateMedian(rows, weights, destination, dop),
                    AggregationRule.TrimmedMean => () => Aggregation.TrimmedMean(rows, weights, aggregatorOptions.TrimFraction, destination, dop),
                    AggregationRule.MultiKrum => () => Aggregation.MultiKrum(rows, weights, aggregatorOptions.KrumByzantine, 0, destination, dop),
                    AggregationRule.GeometricMedian => () => Aggregation.GeometricMedian(
                        rows, weights, destination, aggregatorOptions.GeometricMaxIterations, aggregatorOptions.GeometricTolerance, aggregatorOptions.GeometricSmoothing, dop),
                    _ => () => Aggregation.CenteredClipping(rows, weights, default, aggregatorOptions.ClipRadius, aggregatorOptions.ClipIterations, destination, dop),
                };
                runs.Add((rule.ToName(), run));
            }

            double[] seconds = Medians(options, time, runs.Select(r => r.Run).ToArray());
            double copySeconds = seconds[0];
            memcpy.Add(new MergeBenchResult("memcpy", k, d, bytes / copySeconds / 1e9, 1.0, copySeconds));
            for (int i = 1; i < runs.Count; i++)
            {
                double gbs = bytes / seconds[i] / 1e9;
                rules.Add(new MergeBenchResult(runs[i].Name, k, d, gbs, copySeconds / seconds[i], seconds[i]));
                progress?.Invoke($"k={k} {runs[i].Name} {gbs:F2} GB/s ({copySeconds / seconds[i]:F2} × memcpy)");
            }
        }

        return (rules, memcpy);
    }

    /// <summary>
    /// Warms every action up, then times them round-robin (memcpy, rule 1, …, rule n, memcpy, …) and returns each
    /// one's median. Interleaving matters on a shared machine: a burst of load from other processes hits all
    /// measurements of a round alike instead of skewing one rule's figure against the memcpy baseline.
    /// </summary>
    private static double[] Medians(MergeBenchOptions options, TimeProvider time, Action[] actions)
    {
        for (int w = 0; w < options.Warmups; w++)
        {
            foreach (Action a in actions)
            {
                a();
            }
        }

        int repeats = Math.Max(1, options.Repeats);
        var seconds = new double[actions.Length][];
        for (int i = 0; i < actions.Length; i++)
        {
            seconds[i] = new double[repeats];
        }

        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                long start = time.GetTimestamp();
                actions[i]();
                seconds[i][r] = time.GetElapsedTime(start).TotalSeconds;
            }
        }

        return seconds.Select(s =>
        {
            Array.Sort(s);
            return s[s.Length / 2];
        }).ToArray();
    }

    /// <summary>Copies the k rows with the same core count as the rules, each row split in chunks across cores.</summary>
    private static void Memcpy(float[][] source, float[][] destination, int k, int d, int dop)
    {
        // 4 chunks per core balance the two cores without making chunks small (4 Mi floats / 8 = 2 MiB each).
        int chunks = Math.Max(1, dop * 4);
        int chunk = (d + chunks - 1) / chunks;
        Parallel.For(0, k * chunks, new ParallelOptions { MaxDegreeOfParallelism = dop }, job =>
        {
            int row = job / chunks;
            int start = (job % chunks) * chunk;
            int len = Math.Min(chunk, d - start);
            if (len > 0)
            {
                source[row].AsSpan(start, len).CopyTo(destination[row].AsSpan(start, len));
            }
        });
    }

    private static float[][] RandomRows(int k, int d, int seed)
    {
        var random = new Random(seed);
        var rows = new float[k][];
        for (int i = 0; i < k; i++)
        {
            rows[i] = new float[d];
            for (int c = 0; c < d; c++)
            {
                rows[i][c] = (random.NextSingle() * 2f) - 1f;
            }
        }

        return rows;
    }
}
