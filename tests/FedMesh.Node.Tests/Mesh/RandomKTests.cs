using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Random-k sparse releases (<c>gossip.encoding = "sparse"</c>): the mask, the merge of absent elements, error
/// feedback per element, and why the selection must not depend on the data.</summary>
public class RandomKTests
{
    private static readonly AdapterSchema TwoTensors = new([new TensorInfo("a", [10, 10]), new TensorInfo("b", [7])]);

    [Theory]
    [InlineData(100, 0.25, 25)]
    [InlineData(7, 0.25, 2)]     // ⌈1.75⌉
    [InlineData(3, 0.01, 1)]     // never empty
    [InlineData(5, 1.0, 5)]
    public void Count_is_the_ceiling_of_density_times_n_and_at_least_one(long n, double density, int expected) =>
        Assert.Equal(expected, RandomK.Count(n, density));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_density_outside_0_to_1_is_refused(double density) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomK.Count(10, density));

    [Fact]
    public void Each_tensor_carries_exactly_k_elements_and_every_element_is_drawn_with_probability_density()
    {
        var random = new Random(42);
        const int Draws = 4000;
        int[] hits = new int[TwoTensors.TotalElements];
        for (int d = 0; d < Draws; d++)
        {
            bool[] mask = RandomK.Mask(TwoTensors, 0.25, random);
            Assert.Equal(25, mask.AsSpan(0, 100).Count(true));
            Assert.Equal(2, mask.AsSpan(100, 7).Count(true));
            for (int i = 0; i < mask.Length; i++)
            {
                hits[i] += mask[i] ? 1 : 0;
            }
        }

        // Uniform without replacement: element i of a tensor is drawn with probability k / n (0.25 and 2/7); the
        // standard error over 4000 draws is ≤ 0.0072, so ±0.04 is more than 5 of them.
        for (int i = 0; i < hits.Length; i++)
        {
            double expected = i < 100 ? 0.25 : 2.0 / 7;
            Assert.InRange(hits[i] / (double)Draws, expected - 0.04, expected + 0.04);
        }
    }

    [Fact]
    public void An_absent_element_takes_the_receivers_own_value()
    {
        float[] own = [1, 2, 3, 4];
        float[] state = [9, 0, 9, 0];
        RandomK.FillAbsent(own, state, [true, false, true, false]);
        Assert.Equal([9f, 2f, 9f, 4f], state);
        Assert.Throws<ArgumentException>(() => RandomK.FillAbsent(own, new float[3], new bool[3]));
    }

    /// <summary>
    /// One round of neighbours-mode mixing of a sparse push: every node pushes to one random peer the elements
    /// <paramref name="select"/> picks, each receiver averages per element with Metropolis–Hastings weights (degree 1:
    /// own ½, sender ½) and keeps its own value where the state was absent. Returns the change of the mesh's mean.
    /// </summary>
    private static double MeanDriftOfOneRound(float[][] states, Func<float[], bool[]> select, Random random)
    {
        int n = states.Length;
        double before = states.Average(s => s.Average());
        var inbox = new List<(float[] State, bool[] Carried)>[n];
        for (int i = 0; i < n; i++)
        {
            inbox[i] = [];
        }

        for (int i = 0; i < n; i++)
        {
            int to = (i + 1 + random.Next(n - 1)) % n;
            inbox[to].Add((states[i], select(states[i])));
        }

        float[][] next = new float[n][];
        for (int i = 0; i < n; i++)
        {
            int m = inbox[i].Count;
            double own = MixingWeights.OwnWeight(m, degree: 1);
            next[i] = new float[states[i].Length];
            for (int c = 0; c < next[i].Length; c++)
            {
                double sum = own * states[i][c];
                foreach ((float[] s, bool[] carried) in inbox[i])
                {
                    float[] filled = (float[])s.Clone();
                    RandomK.FillAbsent(states[i], filled, carried);
                    sum += filled[c];
                }

                next[i][c] = (float)(sum / (own + m));
            }
        }

        Array.Copy(next, states, n);
        return states.Average(s => s.Average()) - before;
    }

    [Fact]
    public void Random_k_leaves_the_mesh_average_unbiased_where_top_k_by_magnitude_pulls_it_toward_the_large_states()
    {
        // Half the nodes hold large values, half small ones; the true average must not move on average.
        static float[][] Mesh(Random r) => Enumerable.Range(0, 16)
            .Select(i => Enumerable.Range(0, 64).Select(_ => (float)((i < 8 ? 4 : 0.1) * r.NextDouble())).ToArray()).ToArray();
        var schema = new AdapterSchema([new TensorInfo("w", [64])]);
        var random = new Random(7);
        double randomK = 0, topK = 0;
        const int Trials = 400;
        for (int t = 0; t < Trials; t++)
        {
            randomK += MeanDriftOfOneRound(Mesh(random), _ => RandomK.Mask(schema, 0.25, random), random);
            topK += MeanDriftOfOneRound(Mesh(random), TopQuarterByMagnitude, random);
        }

        // The mean is ≈ 1.05; one round moves it by a few hundredths at most, in either direction for random-k.
        Assert.InRange(randomK / Trials, -0.01, 0.01);
        Assert.True(topK / Trials > 0.03, $"top-k drift {topK / Trials} should be clearly positive");

        static bool[] TopQuarterByMagnitude(float[] s)
        {
            float threshold = s.Select(Math.Abs).OrderDescending().ElementAt(15);
            return s.Select(v => Math.Abs(v) >= threshold).ToArray();
        }
    }

    private static StoredDelta StoredSparse(Key origin, float[] state, bool[] carried, ulong sequence = 1)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlatSparse(CoordinatorKit.Schema, state, carried);
        DateTimeOffset at = TimeProvider.System.GetUtcNow();
        var header = new DeltaHeader
        {
            MeshId = CoordinatorKit.Mesh.MeshId,
            BaseModelHash = CoordinatorKit.Mesh.BaseModelHash,
            Schema = CoordinatorKit.Schema,
            Sequence = sequence,
            Timestamp = at,
            Privacy = new DpParameters(0, 0, null),
        };
        return new StoredDelta(SignedDelta.Create(origin, header, encoded), encoded.Payload, at);
    }

    /// <summary>A neighbours-mode coordinator of degree 1 (own ½, one neighbour ½) whose learner holds 1 everywhere and
    /// does not move.</summary>
    private static RoundCoordinator DegreeOneAtOnes(CoordinatorKit.StepLearner learner)
    {
        learner.SetAdapter(Enumerable.Repeat(1f, CoordinatorKit.D).ToArray());
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, PeerDistanceBound = 1e6, Mode = GossipMode.Neighbours, MixingDegree = 1 });
        coordinator.Neighbours = 1;
        return coordinator;
    }

    [Fact]
    public void The_coordinator_mixes_only_the_elements_a_sparse_state_carries()
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator coordinator = DegreeOneAtOnes(learner);
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(3f, CoordinatorKit.D).ToArray();
        bool[] carried = Enumerable.Range(0, CoordinatorKit.D).Select(i => i % 4 == 0).ToArray();
        StoredDelta stored = StoredSparse(peer, state, carried);
        float[] decoded = DeltaDecoder.DecodeFlat(stored.Delta.Manifest, stored.Payload.Span);
        Assert.Null(coordinator.Offer(stored, decoded));

        RoundReport report = coordinator.RunRound(CancellationToken.None);

        Assert.Equal(1, report.Merged);
        float[] adopted = learner.GetAdapter();
        for (int i = 0; i < adopted.Length; i++)
        {
            // Degree 1: own ½, neighbour ½ where carried (→ 2); absent elements stay 1 (decoded as 0, they would give ½).
            Assert.Equal(carried[i] ? 2f : 1f, adopted[i], 1e-5f);
        }
    }

    [Fact]
    public void A_newer_sparse_state_overlays_the_origins_earlier_one()
    {
        (float[] state, bool[] carried) = RandomK.Overlay([1, 2, 3, 4], [true, true, false, false], [9, 0, 9, 0], [true, false, true, false]);
        Assert.Equal([9f, 2f, 9f, 4f], state);
        Assert.Equal([true, true, true, false], carried);

        (_, bool[] afterDense) = RandomK.Overlay([1, 2], null, [5, 0], [true, false]);
        Assert.Equal([true, true], afterDense);
    }

    [Fact]
    public void Kept_elements_move_by_what_the_receivers_own_state_moved_since_they_were_heard()
    {
        (float[] state, bool[] carried) = RandomK.Overlay(
            [1, 2, 3, 4], [true, true, false, false], [9, 0, 9, 0], [true, false, true, false], ownThen: [0, 0, 0, 0], ownNow: [5, 1, 5, 1]);
        // Element 1 was heard earlier: 2 + (1 − 0); elements 0 and 2 are the newer release's; 3 was never carried.
        Assert.Equal([9f, 3f, 9f, 5f], state);
        Assert.Equal([true, true, true, false], carried);
        Assert.Throws<ArgumentException>(() => RandomK.Overlay([1, 2], null, [5, 0], [true, false], ownThen: [0], ownNow: [0, 0]));
    }

    [Fact]
    public void The_coordinator_keeps_a_copy_of_each_origin_so_elements_of_earlier_sparse_releases_still_mix()
    {
        (float[] adopted, bool[] even, bool[] fourth) = AdoptedAfterTwoSparseReleases(ownBetween: 1f);
        for (int i = 0; i < adopted.Length; i++)
        {
            Assert.Equal(even[i] || fourth[i] ? 2f : 1f, adopted[i], 1e-5f);
        }
    }

    [Fact]
    public void The_coordinators_copy_of_an_origin_follows_this_nodes_own_drift_between_releases()
    {
        // Between the origin's two releases this node moved from 1 to 2 everywhere (as the whole mesh does while it
        // trains): the even elements heard in the first release are taken to have moved as much, 3 → 4.
        (float[] adopted, bool[] even, bool[] fourth) = AdoptedAfterTwoSparseReleases(ownBetween: 2f);
        for (int i = 0; i < adopted.Length; i++)
        {
            // Own 2 and the copy averaged (degree 1): even (2 + 4) / 2, the second release (2 + 3) / 2, absent own.
            Assert.Equal(even[i] ? 3f : fourth[i] ? 2.5f : 2f, adopted[i], 1e-5f);
        }
    }

    /// <summary>A degree-1 node at ones hears one origin's state of threes twice, sparse: first the even elements,
    /// then (after this node moved to <paramref name="ownBetween"/> everywhere) the elements i % 4 == 1; one round.</summary>
    private static (float[] Adopted, bool[] Even, bool[] Fourth) AdoptedAfterTwoSparseReleases(float ownBetween)
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator coordinator = DegreeOneAtOnes(learner);
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(3f, CoordinatorKit.D).ToArray();
        bool[] even = Enumerable.Range(0, CoordinatorKit.D).Select(i => i % 2 == 0).ToArray();
        bool[] fourth = Enumerable.Range(0, CoordinatorKit.D).Select(i => i % 4 == 1).ToArray();
        foreach ((bool[] mask, ulong sequence) in new[] { (even, 1UL), (fourth, 2UL) })
        {
            if (sequence == 2)
            {
                learner.SetAdapter(Enumerable.Repeat(ownBetween, CoordinatorKit.D).ToArray());
            }

            StoredDelta stored = StoredSparse(peer, state, mask, sequence);
            Assert.Null(coordinator.Offer(stored, DeltaDecoder.DecodeFlat(stored.Delta.Manifest, stored.Payload.Span)));
        }

        coordinator.RunRound(CancellationToken.None);
        return (learner.GetAdapter(), even, fourth);
    }

    [Fact]
    public void A_sparse_release_carries_a_quarter_of_each_tensor_and_each_element_keeps_its_rounding_until_it_is_sent()
    {
        using var learner = new CoordinatorKit.StepLearner(0f);
        learner.SetAdapter(Enumerable.Range(0, CoordinatorKit.D).Select(i => i == 0 ? 1f : 0.0031f + (i * 0.00017f)).ToArray());
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, Encoding = TensorEncoding.SparseInt8, Density = 0.25 });
        float[] x = learner.GetAdapter();
        double[] sum = new double[x.Length];
        int[] sent = new int[x.Length];
        for (int r = 0; r < 80; r++)
        {
            RoundReport report = coordinator.RunRound(CancellationToken.None);
            Assert.Equal(TensorEncoding.SparseInt8, report.Released!.Manifest.Tensors[0].Encoding);
            Assert.Equal(8 + 16, report.ReleasedPayload.Length); // 64-bit bitmap + ⌈0.25 · 64⌉ int8 values
            float[] values = DeltaDecoder.DecodeFlat(report.Released.Manifest, report.ReleasedPayload.Span, out bool[]? carried);
            for (int i = 0; i < x.Length; i++)
            {
                if (carried![i])
                {
                    sum[i] += values[i] - x[i];
                    sent[i]++;
                }
            }
        }

        // Every element went out (a given one is missed by all 80 draws with probability 0.75^80 ≈ 1e-10), and over the
        // rounds it went out in, its releases sum to its states within one rounding step: the residual waits for the
        // element's next draw instead of being lost or doubled.
        Assert.True(sent.Min() >= 1, "an element was never sent in 80 releases");
        double scaleBound = 1.0 / 127; // the scale is max|carried| / 127 ≤ 1 / 127 here
        Assert.True(sum.Max(Math.Abs) <= (scaleBound / 2) + 1e-5, $"sparse releases drifted {sum.Max(Math.Abs)} from the states");
    }

    [Fact]
    public void The_configuration_name_sparse_denotes_the_sparse_encoding()
    {
        Assert.Equal(TensorEncoding.SparseInt8, WireEncodings.Parse("sparse"));
        Assert.Equal("sparse", WireEncodings.Name(TensorEncoding.SparseInt8));
        Assert.Equal("gossip.density must be in (0, 1]", (MeshOptions.Default with { Density = 0 }).Problem());
    }

    [Fact]
    public void The_configuration_name_int8_block_denotes_block_int8_and_the_default_is_int8_wz()
    {
        Assert.Equal(TensorEncoding.BlockInt8, WireEncodings.Parse("int8-block"));
        Assert.Equal("int8-block", WireEncodings.Name(TensorEncoding.BlockInt8));
        Assert.Contains("int8-block", WireEncodings.Names);
        Assert.Equal(WireEncodings.Int8Wz, new FedMesh.Node.Configuration.GossipSection().Encoding);
        Assert.Contains("int8-block", Assert.Throws<ArgumentException>(() => WireEncodings.Parse("int4")).Message, StringComparison.Ordinal);
    }
}
