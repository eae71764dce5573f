using FedMesh.Node.Merge;

namespace FedMesh.Node.Tests.Merge;

public sealed class AggregationRulesTests
{
    private static readonly float[][] Three =
    [
        [1f, 10f, -3f],
        [2f, 20f, 5f],
        [9f, 30f, 4f],
    ];

    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int k in new[] { 1, 2, 3, 5, 8, 13, 16, 17, 31, 32, 33 })
        {
            foreach (int d in new[] { 1, 15, 17, 100, 2053 })
            {
                data.Add(k, d);
            }
        }

        // Above the network's 64 rows the scalar path takes over.
        data.Add(70, 40);
        return data;
    }

    [Fact]
    public void Weighted_mean_matches_hand_computation()
    {
        var dst = new float[3];
        Aggregation.WeightedMean(TestDeltas.Mem(Three), [1f, 1f, 2f], dst);
        // (1 + 2 + 18) / 4, (10 + 20 + 60) / 4, (−3 + 5 + 8) / 4
        Assert.Equal([5.25f, 22.5f, 2.5f], dst);
    }

    [Fact]
    public void Median_of_three_and_of_four_matches_hand_computation()
    {
        var dst = new float[3];
        Aggregation.CoordinateMedian(TestDeltas.Mem(Three), [1f, 1f, 1f], dst);
        Assert.Equal([2f, 20f, 4f], dst);

        float[][] four = [.. Three, [100f, -1f, 4.5f]];
        Aggregation.CoordinateMedian(TestDeltas.Mem(four), [1f, 1f, 1f, 1f], dst);
        // sorted columns: {1,2,9,100} → 5.5; {−1,10,20,30} → 15; {−3,4,4.5,5} → 4.25
        Assert.Equal([5.5f, 15f, 4.25f], dst);
    }

    [Fact]
    public void Weighted_median_follows_the_heavy_input()
    {
        var dst = new float[3];
        Aggregation.CoordinateMedian(TestDeltas.Mem(Three), [1f, 1f, 5f], dst);
        Assert.Equal(Three[2], dst);
    }

    [Fact]
    public void Trimmed_mean_drops_one_per_side_of_five()
    {
        float[][] five = [[1f], [2f], [3f], [4f], [100f]];
        var dst = new float[1];
        Aggregation.TrimmedMean(TestDeltas.Mem(five), [1f, 1f, 1f, 1f, 1f], 0.2, dst);
        Assert.Equal(3f, dst[0]);
    }

    [Fact]
    public void Trimmed_mean_with_fractional_trim_counts_boundary_values_partially()
    {
        // k = 4, β = 0.125: trim half a value per side → (0.5·1 + 2 + 3 + 0.5·10) / 3
        float[][] four = [[1f], [2f], [3f], [10f]];
        var dst = new float[1];
        Aggregation.TrimmedMean(TestDeltas.Mem(four), [1f, 1f, 1f, 1f], 0.125, dst);
        Assert.Equal(10.5f / 3f, dst[0], 5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Mean_median_and_trimmed_mean_match_naive_references(int k, int d)
    {
        float[][] rows = TestDeltas.Random(k, d, seed: (k * 1000) + d);
        ReadOnlyMemory<float>[] mem = TestDeltas.Mem(rows);
        float[] ones = Enumerable.Repeat(0.7f, k).ToArray();
        var dst = new float[d];

        Aggregation.WeightedMean(mem, ones, dst, maxDegreeOfParallelism: 2);
        TestDeltas.AssertClose(TestDeltas.NaiveMean(rows, ones), dst, 1e-5);

        Aggregation.CoordinateMedian(mem, ones, dst, maxDegreeOfParallelism: 2);
        TestDeltas.AssertClose(TestDeltas.NaiveMedian(rows), dst, 1e-6);

        int t = k / 5;
        Aggregation.TrimmedMean(mem, ones, (double)t / k, dst, maxDegreeOfParallelism: 2);
        TestDeltas.AssertClose(TestDeltas.NaiveTrimmed(rows, t), dst, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weighted_median_and_trimmed_mean_match_the_weighted_reference(int k, int d)
    {
        float[][] rows = TestDeltas.Random(k, d, seed: (k * 7919) + d);
        float[] w = TestDeltas.Weights(k, seed: k + d);
        ReadOnlyMemory<float>[] mem = TestDeltas.Mem(rows);
        var dst = new float[d];

        Aggregation.CoordinateMedian(mem, w, dst);
        TestDeltas.AssertClose(TestDeltas.NaiveWeighted(rows, w, median: true, beta: 0), dst, 1e-6);

        Aggregation.TrimmedMean(mem, w, 0.15, dst);
        TestDeltas.AssertClose(TestDeltas.NaiveWeighted(rows, w, median: false, beta: 0.15), dst, 1e-4);

        Aggregation.WeightedMean(mem, w, dst);
        TestDeltas.AssertClose(TestDeltas.NaiveMean(rows, w), dst, 1e-5);
    }

    [Fact]
    public void Multi_krum_scores_and_selection_match_hand_computation()
    {
        // Four points on a line and one outlier; k = 5, f = 1 → 2 nearest neighbours per score.
        float[][] rows = [[0f], [1f], [2f], [3f], [50f]];
        var dst = new float[1];
        RuleReport report = Aggregation.MultiKrum(TestDeltas.Mem(rows), [1f, 1f, 1f, 1f, 1f], f: 1, m: 3, dst);
        // 0: 1+4=5; 1: 1+1=2; 2: 1+1=2; 3: 1+4=5; 4: 47²+48²
        Assert.Equal([5.0, 2.0, 2.0, 5.0, (47.0 * 47) + (48.0 * 48)], report.Scores);
        Assert.Equal([true, true, true, false, false], report.Selected);
        Assert.Equal(1f, dst[0]);
    }

    [Theory]
    [InlineData(7, 33, 2)]
    [InlineData(16, 1000, 3)]
    [InlineData(33, 17, 5)]
    public void Multi_krum_matches_a_naive_pairwise_reference(int k, int d, int f)
    {
        float[][] rows = TestDeltas.Random(k, d, seed: k + d + f);
        float[] w = TestDeltas.Weights(k, seed: d);
        var pairwise = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                for (int c = 0; c < d; c++)
                {
                    s += (rows[i][c] - (double)rows[j][c]) * (rows[i][c] - (double)rows[j][c]);
                }

                pairwise[(i * k) + j] = s;
            }
        }

        double[] expectedScores = Aggregation.KrumScores(pairwise, k, f);
        var dst = new float[d];
        RuleReport report = Aggregation.MultiKrum(TestDeltas.Mem(rows), w, f, m: 0, dst, maxDegreeOfParallelism: 2);
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(expectedScores[i], report.Scores[i], expectedScores[i] * 1e-5);
        }

        int[] chosen = Enumerable.Range(0, k).OrderBy(i => expectedScores[i]).Take(k - f).ToArray();
        Assert.Equal(k - f, report.Selected.Count(s => s));
        Assert.All(chosen, i => Assert.True(report.Selected[i]));
        float[][] chosenRows = chosen.Select(i => rows[i]).ToArray();
        TestDeltas.AssertClose(TestDeltas.NaiveMean(chosenRows, chosen.Select(i => w[i]).ToArray()), dst, 1e-5);
    }

    [Fact]
    public void Geometric_median_of_a_symmetric_cross_is_its_center_despite_a_far_point()
    {
        // Four points around (1, 1) plus one far point: the geometric median stays near (1, 1),
        // the mean moves by 20.
        float[][] rows = [[0f, 1f], [2f, 1f], [1f, 0f], [1f, 2f], [101f, 1f]];
        var dst = new float[2];
        RuleReport report = Aggregation.GeometricMedian(TestDeltas.Mem(rows), [1f, 1f, 1f, 1f, 1f], dst, maxIterations: 100, tolerance: 1e-9);
        Assert.InRange(dst[0], 1f, 1.6f);
        Assert.Equal(1f, dst[1], 4);
        Assert.InRange(report.Iterations, 2, 100);
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(16, 257)]
    [InlineData(33, 64)]
    public void Geometric_median_has_a_lower_objective_than_the_mean_and_is_a_weiszfeld_fixed_point(int k, int d)
    {
        float[][] rows = TestDeltas.Random(k, d, seed: k * d);
        rows[0] = rows[0].Select(x => x * 50f).ToArray();
        float[] w = TestDeltas.Weights(k, seed: 3);
        ReadOnlyMemory<float>[] mem = TestDeltas.Mem(rows);
        var mean = new float[d];
        Aggregation.WeightedMean(mem, w, mean);
        var gm = new float[d];
        Aggregation.GeometricMedian(mem, w, gm, maxIterations: 200, tolerance: 1e-12);

        double objMean = Aggregation.WeiszfeldObjective(w, Aggregation.SquaredDistances(mem, mean), 1e-6);
        double objGm = Aggregation.WeiszfeldObjective(w, Aggregation.SquaredDistances(mem, gm), 1e-6);
        Assert.True(objGm < objMean, $"geometric median objective {objGm} not below the mean's {objMean}");

        // Fixed point: one more Weiszfeld step from gm barely moves it.
        float[] beta = Aggregation.WeiszfeldCoefficients(w, Aggregation.SquaredDistances(mem, gm), 1e-6);
        var step = new double[d];
        for (int i = 0; i < k; i++)
        {
            for (int c = 0; c < d; c++)
            {
                step[c] += beta[i] * (double)rows[i][c];
            }
        }

        Assert.True(TestDeltas.Distance(gm, step) < 1e-3 * (1 + TestDeltas.Norm(step)));
    }

    [Fact]
    public void Centered_clipping_with_a_large_radius_is_the_weighted_mean()
    {
        float[][] rows = TestDeltas.Random(6, 50, seed: 11);
        float[] w = TestDeltas.Weights(6, seed: 12);
        var dst = new float[50];
        RuleReport report = Aggregation.CenteredClipping(TestDeltas.Mem(rows), w, default, radius: 1e6, iterations: 1, dst);
        TestDeltas.AssertClose(TestDeltas.NaiveMean(rows, w), dst, 1e-5);
        Assert.All(report.ClipFactors, c => Assert.Equal(1.0, c));
    }

    [Fact]
    public void Centered_clipping_one_step_matches_hand_computation()
    {
        // v = 0, τ = 1: x₁ = (3, 4) (norm 5) is clipped to (0.6, 0.8); x₂ = (0.5, 0) is kept.
        float[][] rows = [[3f, 4f], [0.5f, 0f]];
        var dst = new float[2];
        RuleReport report = Aggregation.CenteredClipping(TestDeltas.Mem(rows), [1f, 1f], default, radius: 1, iterations: 1, dst);
        Assert.Equal(0.55f, dst[0], 6);
        Assert.Equal(0.4f, dst[1], 6);
        Assert.Equal([0.2, 1.0], report.ClipFactors);
    }

    [Fact]
    public void Centered_clipping_starts_from_the_given_center()
    {
        float[][] rows = [[10f], [10f]];
        var dst = new float[1];
        Aggregation.CenteredClipping(TestDeltas.Mem(rows), [1f, 1f], [8f], radius: 1, iterations: 1, dst);
        Assert.Equal(9f, dst[0]);
    }

    [Theory]
    [InlineData(7, 100, 1)]
    [InlineData(16, 1025, 3)]
    public void Centered_clipping_matches_a_naive_iteration(int k, int d, int iterations)
    {
        float[][] rows = TestDeltas.Random(k, d, seed: k + d);
        rows[1] = rows[1].Select(x => x * 20f).ToArray();
        float[] w = TestDeltas.Weights(k, seed: 5);
        float[] center = TestDeltas.Random(1, d, seed: 99, scale: 0.1f)[0];
        const double tau = 3.0;
        double total = w.Sum(x => (double)x);
        double[] v = center.Select(x => (double)x).ToArray();
        for (int l = 0; l < iterations; l++)
        {
            var next = (double[])v.Clone();
            for (int i = 0; i < k; i++)
            {
                double dist = Math.Sqrt(Enumerable.Range(0, d).Sum(c => (rows[i][c] - v[c]) * (rows[i][c] - v[c])));
                double clip = Math.Min(1, tau / dist);
                for (int c = 0; c < d; c++)
                {
                    next[c] += w[i] / total * (rows[i][c] - v[c]) * clip;
                }
            }

            v = next;
        }

        var dst = new float[d];
        Aggregation.CenteredClipping(TestDeltas.Mem(rows), w, center, tau, iterations, dst, maxDegreeOfParallelism: 2);
        TestDeltas.AssertClose(v, dst, 1e-4);
    }

    [Fact]
    public void Adaptive_clip_radius_is_the_median_distance_to_the_center()
    {
        float[][] rows = [[1f], [2f], [3f], [40f], [-5f]];
        var dst = new float[1];
        RuleReport report = Aggregation.CenteredClipping(TestDeltas.Mem(rows), [1f, 1f, 1f, 1f, 1f], default, radius: 0, iterations: 1, dst);
        Assert.Equal(3.0, report.ClipRadius, 6);
        // clipped: 1, 2, 3, 3, −3 → mean 1.2
        Assert.Equal(1.2f, dst[0], 5);
    }

    [Fact]
    public void A_node_with_one_neighbour_mixes_up_to_the_fallback_radius_and_not_at_all_without_one()
    {
        // The daemon's merge: the node's own state (the center, 2) and one neighbour's (6). The distances are {0, 4},
        // their lower median 0: without a fallback the neighbour is clipped to nothing.
        float[][] rows = [[2f], [6f]];
        var dst = new float[1];
        RuleReport alone = Aggregation.CenteredClipping(TestDeltas.Mem(rows), [1f, 1f], [2f], radius: 0, iterations: 1, dst);
        Assert.Equal(0.0, alone.ClipRadius);
        Assert.Equal(2f, dst[0]);

        // With the node's own last change (1) as the fallback: the neighbour pulls it half of 1 (equal weights).
        RuleReport mixed = Aggregation.CenteredClipping(TestDeltas.Mem(rows), [1f, 1f], [2f], radius: 0, iterations: 1, dst, fallbackRadius: 1);
        Assert.Equal(1.0, mixed.ClipRadius);
        Assert.Equal(2.5f, dst[0], 5);

        // Every input at the center: nothing to clip, the fallback is not used.
        RuleReport still = Aggregation.CenteredClipping(TestDeltas.Mem([[2f], [2f]]), [1f, 1f], [2f], radius: 0, iterations: 1, dst, fallbackRadius: 1);
        Assert.Equal(0.0, still.ClipRadius);
        Assert.Equal(2f, dst[0]);
    }

    [Fact]
    public void Aggregators_reject_mismatched_shapes_with_a_clear_error()
    {
        ReadOnlyMemory<float>[] mem = [new float[3], new float[4]];
        var ex = Assert.Throws<ArgumentException>(() => Aggregation.WeightedMean(mem, [1f, 1f], new float[3]));
        Assert.Contains("delta 1 has 4 values, expected 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Aggregation.CoordinateMedian([new float[3]], [1f, 2f], new float[3]));
        Assert.Throws<ArgumentException>(() => Aggregation.TrimmedMean([new float[3]], [0f], 0.1, new float[3]));
    }
}
