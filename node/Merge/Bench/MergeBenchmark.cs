namespace FedMesh.Node.Merge.Bench;

/// <summary>Settings of <c>fedmesh bench merge</c>.</summary>
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
            double copySeconds = Median(options, time, () => Memcpy(all, copies, k, d, dop));
            memcpy.Add(new MergeBenchResult("memcpy", k, d, bytes / copySeconds / 1e9, 1.0, copySeconds));
            progress?.Invoke($"k={k} memcpy {bytes / copySeconds / 1e9:F2} GB/s");
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
                double seconds = Median(options, time, run);
                double gbs = bytes / seconds / 1e9;
                rules.Add(new MergeBenchResult(rule.ToName(), k, d, gbs, seconds == 0 ? 0 : copySeconds / seconds, seconds));
                progress?.Invoke($"k={k} {rule.ToName()} {gbs:F2} GB/s");
            }
        }

        return (rules, memcpy);
    }

    private static double Median(MergeBenchOptions options, TimeProvider time, Action action)
    {
        for (int i = 0; i < options.Warmups; i++)
        {
            action();
        }

        var seconds = new double[Math.Max(1, options.Repeats)];
        for (int i = 0; i < seconds.Length; i++)
        {
            long start = time.GetTimestamp();
            action();
            seconds[i] = time.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds[seconds.Length / 2];
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
