using FedMesh.Node.Merge;

namespace FedMesh.Node.Tests.Merge;

public sealed class PushSumTests
{
    /// <summary>
    /// A strongly connected directed graph with asymmetric out-degrees: ring 0→1→…→5→0 plus one-way chords.
    /// Node 0 has out-degree 3, the others 1 or 2, so in/out degrees differ.
    /// </summary>
    private static readonly int[][] OutNeighbours = [[1, 3, 4], [2], [3, 5], [4], [5], [0]];

    private const int D = 37;

    private static float[][] Initial() => TestDeltas.Random(OutNeighbours.Length, D, seed: 2024, scale: 5f);

    private static string Name(int i) => $"n{i}";

    [Fact]
    public void Push_sum_on_an_asymmetric_directed_graph_converges_to_the_true_average()
    {
        float[][] x0 = Initial();
        double[] truth = TestDeltas.NaiveMean(x0, Enumerable.Repeat(1f, x0.Length).ToArray());
        PushSumState[] nodes = x0.Select((x, i) => new PushSumState(Name(i), x)).ToArray();
        for (int round = 0; round < 300; round++)
        {
            var inbox = Enumerable.Range(0, nodes.Length).Select(_ => new List<PushSumShare>()).ToArray();
            for (int i = 0; i < nodes.Length; i++)
            {
                foreach (PushSumShare s in nodes[i].Split(OutNeighbours[i].Select(Name).ToArray(), round))
                {
                    inbox[int.Parse(s.Target[1..], System.Globalization.CultureInfo.InvariantCulture)].Add(s);
                }
            }

            for (int i = 0; i < nodes.Length; i++)
            {
                inbox[i].ForEach(nodes[i].Absorb);
            }
        }

        var z = new float[D];
        foreach (PushSumState n in nodes)
        {
            n.Estimate(z);
            TestDeltas.AssertClose(truth, z, 1e-4);
        }

        Assert.Equal(nodes.Length, nodes.Sum(n => n.Weight), 6);
    }

    [Fact]
    public void Plain_neighbour_averaging_on_the_same_graph_is_biased()
    {
        // Each node replaces its model by the average of itself and what it receives (no weights):
        // the consensus is weighted by the graph's stationary distribution, not the true average.
        float[][] x = Initial();
        double[] truth = TestDeltas.NaiveMean(x, Enumerable.Repeat(1f, x.Length).ToArray());
        for (int round = 0; round < 300; round++)
        {
            var next = x.Select(v => v.ToArray()).ToArray();
            var count = Enumerable.Repeat(1, x.Length).ToArray();
            for (int i = 0; i < x.Length; i++)
            {
                foreach (int j in OutNeighbours[i])
                {
                    for (int c = 0; c < D; c++)
                    {
                        next[j][c] += x[i][c];
                    }

                    count[j]++;
                }
            }

            x = next.Select((v, j) => v.Select(e => e / count[j]).ToArray()).ToArray();
        }

        Assert.True(TestDeltas.Distance(x[0], truth) > 0.05, "plain averaging should not reach the true average here");
    }

    [Fact]
    public void Robust_absorb_with_the_weighted_mean_equals_plain_push_sum()
    {
        float[][] x0 = Initial();
        var plain = new PushSumState("me", x0[0], 1.5);
        var robust = new PushSumState("me", x0[0], 1.5);
        var shares = new[]
        {
            new PushSumState("a", x0[1], 0.5).Split(["me"], 0)[0],
            new PushSumState("b", x0[2], 2.0).Split(["me", "c"], 0)[0],
        };
        foreach (PushSumShare s in shares)
        {
            plain.Absorb(s);
        }

        var mean = new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean });
        AggregationResult result = robust.AbsorbRobust(shares, [1.0, 1.0], mean);
        Assert.Equal(2, result.AcceptedCount);
        Assert.Equal(plain.Weight, robust.Weight, 9);
        TestDeltas.AssertClose(plain.Numerator.ToArray().Select(v => (double)v).ToArray(), robust.Numerator, 1e-5);
    }

    [Fact]
    public void Robust_absorb_bounds_a_boosted_share_and_rejects_a_nan_share()
    {
        float[] own = new float[D];
        var me = new PushSumState("me", own);
        float[][] honest = TestDeltas.Honest(4, D, seed: 1, noise: 0.1f);
        var shares = honest.Select((h, i) => new PushSumShare(h, 1.0, $"h{i}", "me", 0)).ToList();
        shares.Add(new PushSumShare(honest[0].Select(v => v * 1000f).ToArray(), 1.0, "boost", "me", 0));
        float[] nan = (float[])honest[0].Clone();
        nan[3] = float.NaN;
        shares.Add(new PushSumShare(nan, 1.0, "nan", "me", 0));

        AggregationResult result = me.AbsorbRobust(shares, Enumerable.Repeat(1.0, shares.Count).ToArray(), new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.CenteredClipping }));
        Assert.Equal(RejectionReason.NonFinite, result.Outcomes[5].Rejection);
        Assert.True(result.Outcomes[4].ClipFactor < 0.01);
        var z = new float[D];
        me.Estimate(z);
        double[] honestMean = TestDeltas.NaiveMean(honest, [1f, 1f, 1f, 1f]);
        // 5 of 6 mass units absorbed towards ≈ the honest mean; the booster moved it by at most τ/6.
        double[] expected = honestMean.Select(v => v * 5 / 6).ToArray();
        Assert.True(TestDeltas.Distance(z, expected) < 0.25 * TestDeltas.Norm(expected));
    }

    [Fact]
    public void Robust_absorb_caps_an_inflated_push_sum_weight()
    {
        var me = new PushSumState("me", new float[] { 1f, 1f }, 1.0);
        var honest = new PushSumShare([0.5f, 0.5f], 0.5, "h", "me", 0);
        var inflated = new PushSumShare([2e6f, 2e6f], 1e6, "x", "me", 0);
        me.AbsorbRobust([honest, inflated], [1.0, 1.0], new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean }));
        // 1 (own) + 0.5 (honest) + 4 (cap = 4 × own weight 1) instead of 1e6.
        Assert.Equal(5.5, me.Weight, 9);
    }

    [Fact]
    public void Own_contribution_coming_back_via_a_relay_is_not_counted_again()
    {
        var tracker = new ContributionTracker("me");
        Assert.Equal(AdmissionResult.OwnContribution, tracker.TryAdmit("me", "me", 5, 5));
        Assert.Equal(AdmissionResult.Admitted, tracker.TryAdmit("a", "me", 5, 5));
        Assert.Equal(AdmissionResult.Duplicate, tracker.TryAdmit("a", "me", 5, 5));
        Assert.Equal(AdmissionResult.NotAddressedToUs, tracker.TryAdmit("b", "c", 5, 5));
        Assert.Equal(AdmissionResult.Admitted, tracker.TryAdmit("a", "me", 6, 6));
        Assert.Equal(AdmissionResult.FromTheFuture, tracker.TryAdmit("a", "me", 9, 6));
        Assert.Equal(AdmissionResult.TooOld, tracker.TryAdmit("z", "me", 5, 100));
    }

    [Fact]
    public void Mass_is_conserved_when_relayed_duplicates_are_filtered()
    {
        // a splits to me; a relay also forwards a copy of a's share and a copy of my own share back to me.
        float[] one = Enumerable.Repeat(1f, D).ToArray();
        var me = new PushSumState("me", one);
        var a = new PushSumState("a", one.Select(v => v * 3f).ToArray());
        PushSumShare fromA = a.Split(["me"], 1)[0];
        PushSumShare mine = me.Split(["a"], 1)[0];
        var tracker = new ContributionTracker("me");
        foreach (PushSumShare s in new[] { fromA, fromA with { }, mine })
        {
            if (tracker.TryAdmit(s.Origin, s.Target, s.Round, 1) == AdmissionResult.Admitted)
            {
                me.Absorb(s);
            }
        }

        a.Absorb(mine);
        // total weight and numerator mass stay 2 and (1 + 3)·D
        Assert.Equal(2.0, me.Weight + a.Weight, 9);
        Assert.Equal(4.0 * D, me.Numerator.ToArray().Sum() + a.Numerator.ToArray().Sum(), 3);
    }

    [Theory]
    [InlineData(10, 10, 1.0)]
    [InlineData(7, 10, 0.125)]
    [InlineData(12, 10, 1.0)]
    [InlineData(2, 10, 1.0 / 256)]
    [InlineData(1, 10, 0.0)]
    public void Staleness_discount_is_gamma_to_the_age_and_zero_beyond_the_maximum(long deltaRound, long now, double expected)
    {
        Assert.Equal(expected, StalenessDiscount.Factor(deltaRound, now, StalenessOptions.Default), 12);
        Assert.Equal(2 * expected, StalenessDiscount.Apply(2, deltaRound, now, StalenessOptions.Default), 12);
    }

    [Fact]
    public void Stale_deltas_weigh_less_in_the_aggregate()
    {
        float[][] rows = [[0f], [10f]];
        double fresh = StalenessDiscount.Apply(1, 10, 10, StalenessOptions.Default);
        double old = StalenessDiscount.Apply(1, 7, 10, StalenessOptions.Default);
        var dst = new float[1];
        new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean })
            .Aggregate([new DeltaInput(rows[0], fresh), new DeltaInput(rows[1], old)], dst);
        Assert.Equal(10f / 9f, dst[0], 5);
    }
}
