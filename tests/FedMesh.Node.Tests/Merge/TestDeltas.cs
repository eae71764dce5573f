using FedMesh.Node.Merge.Bench;

namespace FedMesh.Node.Tests.Merge;

/// <summary>Seeded test inputs and naive reference implementations (one sort per coordinate, double sums).</summary>
internal static class TestDeltas
{
    public static float[][] Random(int k, int d, int seed, float scale = 1f, float offset = 0f)
    {
        var random = new Random(seed);
        var rows = new float[k][];
        for (int i = 0; i < k; i++)
        {
            rows[i] = new float[d];
            for (int c = 0; c < d; c++)
            {
                rows[i][c] = offset + (scale * (float)((random.NextDouble() * 2) - 1));
            }
        }

        return rows;
    }

    /// <summary>Honest deltas: a common direction plus per-node noise (the scenario generator of the robustness bench).</summary>
    public static float[][] Honest(int k, int d, int seed, float noise = 0.3f) => RobustnessScenario.HonestDeltas(k, d, noise, seed);

    public static float[] Weights(int k, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, k).Select(_ => 0.1f + (float)random.NextDouble()).ToArray();
    }

    public static ReadOnlyMemory<float>[] Mem(float[][] rows) => rows.Select(r => (ReadOnlyMemory<float>)r).ToArray();

    public static double[] NaiveMean(float[][] rows, float[] w)
    {
        int d = rows[0].Length;
        double total = w.Sum(x => (double)x);
        var r = new double[d];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int c = 0; c < d; c++)
            {
                r[c] += w[i] * (double)rows[i][c] / total;
            }
        }

        return r;
    }

    /// <summary>Unweighted median by sorting each coordinate: middle value, or mean of the two middle values.</summary>
    public static double[] NaiveMedian(float[][] rows)
    {
        int k = rows.Length;
        return Coordinates(rows, sorted => k % 2 == 1 ? sorted[k / 2] : (sorted[(k / 2) - 1] + sorted[k / 2]) / 2);
    }

    /// <summary>Unweighted trimmed mean by sorting each coordinate and dropping t values per side.</summary>
    public static double[] NaiveTrimmed(float[][] rows, int t) =>
        Coordinates(rows, sorted => sorted.Skip(t).Take(sorted.Length - (2 * t)).Average());

    /// <summary>
    /// Weighted quantile-interval reference: sorted value j owns [Cⱼ₋₁, Cⱼ) of the weight axis; median = value at
    /// W/2 (lower value if W/2 lies strictly inside its slice); trimmed mean = average over [βW, (1−β)W).
    /// </summary>
    public static double[] NaiveWeighted(float[][] rows, float[] w, bool median, double beta)
    {
        int k = rows.Length;
        int d = rows[0].Length;
        double total = w.Sum(x => (double)x);
        var r = new double[d];
        for (int c = 0; c < d; c++)
        {
            int[] order = Enumerable.Range(0, k).OrderBy(i => rows[i][c]).ToArray();
            double before = 0;
            double acc = 0;
            foreach (int i in order)
            {
                double after = before + w[i];
                if (median)
                {
                    if (before <= total / 2 && total / 2 < after)
                    {
                        acc = rows[i][c];
                    }
                }
                else
                {
                    double lo = beta * total;
                    double hi = (1 - beta) * total;
                    double overlap = Math.Min(after, hi) - Math.Max(before, lo);
                    acc += overlap > 0 ? rows[i][c] * overlap / (hi - lo) : 0;
                }

                before = after;
            }

            r[c] = acc;
        }

        return r;
    }

    private static double[] Coordinates(float[][] rows, Func<double[], double> pick)
    {
        int d = rows[0].Length;
        var r = new double[d];
        for (int c = 0; c < d; c++)
        {
            double[] column = rows.Select(row => (double)row[c]).Order().ToArray();
            r[c] = pick(column);
        }

        return r;
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(s);
    }

    public static double Norm(ReadOnlySpan<double> a)
    {
        double s = 0;
        foreach (double x in a)
        {
            s += x * x;
        }

        return Math.Sqrt(s);
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > tolerance * (1 + Math.Abs(expected[i])))
            {
                Assert.Fail($"coordinate {i}: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
