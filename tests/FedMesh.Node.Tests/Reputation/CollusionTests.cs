using System.Numerics.Tensors;
using FedMesh.Node.Attacks;
using FedMesh.Node.Reputation;
using FedMesh.Node.Reputation.Internal;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Reputation;

public sealed class CollusionTests
{
    private const int Dimension = 64;
    private const double Low = 0.9;
    private const double High = 0.98;

    [Fact]
    public void Accumulate_is_the_exponential_moving_average()
    {
        float[] ema = [1f, -2f];
        CollusionMath.Accumulate(ema, [3f, 2f], 0.25);
        Assert.Equal(1.5f, ema[0], 6);
        Assert.Equal(-1f, ema[1], 6);
        Assert.Throws<ArgumentException>(() => CollusionMath.Accumulate(ema, [1f], 0.25));
        Assert.Throws<ArgumentOutOfRangeException>(() => CollusionMath.Accumulate(ema, [1f, 1f], 0));
    }

    [Fact]
    public void Max_cosine_pairs_each_history_with_its_closest_direction()
    {
        double[] best = CollusionMath.MaxCosineToOthers(new ReadOnlyMemory<float>[] { new float[] { 1, 0 }, new float[] { 2, 0 }, new float[] { 0, 1 }, new float[] { 0, 0 } });
        Assert.Equal(1, best[0], 6);
        Assert.Equal(1, best[1], 6);
        Assert.Equal(0, best[2], 6);
        Assert.Equal(0, best[3], 6);
        Assert.Equal([0.0], CollusionMath.MaxCosineToOthers(new ReadOnlyMemory<float>[] { new float[] { 1, 1 } }));
    }

    [Fact]
    public void Score_is_flat_up_to_low_zero_from_high_linear_between()
    {
        Assert.Equal(1, CollusionMath.Score(0.5, Low, High));
        Assert.Equal(1, CollusionMath.Score(Low, Low, High), 12);
        Assert.Equal(0.5, CollusionMath.Score(0.94, Low, High), 9);
        Assert.Equal(0, CollusionMath.Score(0.999, Low, High));
        Assert.Throws<ArgumentException>(() => CollusionMath.Score(0.5, High, Low));
    }

    [Fact]
    public void Common_part_is_the_coordinate_median_and_is_removed()
    {
        float[][] centered = CollusionMath.WithoutCommonPart(new ReadOnlyMemory<float>[] { new float[] { 10, 1 }, new float[] { 11, -1 }, new float[] { 12, 0 } });
        Assert.Equal([-1f, 1f], centered[0]);
        Assert.Equal([0f, -1f], centered[1]);
        Assert.Equal([1f, 0f], centered[2]);
    }

    [Fact]
    public void Common_part_goes_into_reused_buffers_longer_than_the_histories()
    {
        // Buffers as a pool rents them: longer than the histories, holding old values past the histories' length.
        float[][] buffers = [[9, 9, 9, 9], [9, 9, 9, 9], [9, 9, 9, 9], [9, 9, 9, 9]];
        CollusionMath.WithoutCommonPart(new ReadOnlyMemory<float>[] { new float[] { 10, 1 }, new float[] { 11, -1 }, new float[] { 12, 0 } }, buffers);
        Assert.Equal([-1f, 1f, 9f, 9f], buffers[0]);
        Assert.Equal([0f, -1f, 9f, 9f], buffers[1]);
        Assert.Equal([1f, 0f, 9f, 9f], buffers[2]);
        Assert.Equal([9f, 9f, 9f, 9f], buffers[3]);
        Assert.Throws<ArgumentException>(() => CollusionMath.WithoutCommonPart(new ReadOnlyMemory<float>[] { new float[] { 1 }, new float[] { 2 } }, [new float[1]]));
    }

    [Fact]
    public void A_persistent_small_bias_shared_by_colluders_is_detected_and_honest_noise_is_not()
    {
        double[] scores = RunRounds(seed: 7, colluders: 6, out _);

        // Honest peers first, colluders last (see RunRounds).
        Assert.All(scores[..14], s => Assert.Equal(1, s));
        Assert.All(scores[14..], s => Assert.Equal(0, s));
    }

    [Fact]
    public void Honest_peers_sharing_a_large_offset_from_a_pulled_aggregate_are_not_flagged()
    {
        double[] scores = RunRounds(seed: 11, colluders: 0, out double largestHonestCosine, commonOffset: 10);

        Assert.All(scores, s => Assert.Equal(1, s));
        Assert.True(largestHonestCosine < Low, $"largest honest cosine {largestHonestCosine}");
    }

    [Fact]
    public void Scores_are_deterministic_for_a_seed()
    {
        Assert.Equal(RunRounds(seed: 3, colluders: 6, out double a), RunRounds(seed: 3, colluders: 6, out double b));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Without_history_one_round_of_jittered_copies_is_not_yet_enough()
    {
        // A single round: the colluders' jitter (half the honest noise) keeps their cosine below the flag; the moving
        // average is what removes it (the previous test, 12 rounds).
        double[] scores = RunRounds(seed: 5, colluders: 6, out _, rounds: 1, jitter: 0.5);
        Assert.All(scores[14..], s => Assert.True(s > 0, $"score {s}"));
    }

    [Fact]
    public void History_forgets_peers_no_longer_retained()
    {
        var history = new DeviationHistory(0.2);
        PeerId a = ReputationTests.Peer(1), b = ReputationTests.Peer(2);
        history.Observe(a, [1f, 0f], [0f, 0f]);
        history.Observe(b, [0f, 1f], [0f, 0f]);
        history.Retain(new Dictionary<PeerId, int> { [b] = 0 });
        Assert.Equal(1, history.Count);
        Assert.Equal([1.0], history.Scores([b], Low, High));
    }

    [Fact]
    public void History_retains_every_kept_peer_and_drops_all_others_in_one_pass()
    {
        var history = new DeviationHistory(0.2);
        PeerId[] peers = [.. Enumerable.Range(1, 6).Select(i => ReputationTests.Peer((byte)i))];
        foreach (PeerId p in peers)
        {
            history.Observe(p, [1f, 0f], [0f, 0f]);
        }

        // Alternate peers kept: removals while the history is walked must not skip a neighbour of a removed one.
        history.Retain(new Dictionary<PeerId, int> { [peers[1]] = 0, [peers[3]] = 0, [peers[5]] = 0 });
        Assert.Equal(3, history.Count);
        history.Retain(new Dictionary<PeerId, int>());
        Assert.Equal(0, history.Count);
    }

    [Fact]
    public void Pair_cosines_and_scores_of_changing_peer_sets_equal_the_pure_functions_call_after_call()
    {
        // The history reuses its scratch between calls: sets that grow, shrink and reorder must each see only their own
        // histories.
        var history = new DeviationHistory(0.3);
        var random = new Random(7);
        PeerId[] peers = [.. Enumerable.Range(1, 9).Select(i => ReputationTests.Peer((byte)i))];
        float[] aggregate = new float[5];
        for (int call = 0; call < 60; call++)
        {
            foreach (PeerId p in peers)
            {
                history.Observe(p, [.. Enumerable.Range(0, 5).Select(_ => (float)random.NextDouble())], aggregate);
            }

            PeerId[] set = [.. peers.OrderBy(_ => random.Next()).Take(3 + random.Next(7))];
            float[][] centered = CollusionMath.WithoutCommonPart([.. set.Select(p => new ReadOnlyMemory<float>(history.HistoryOf(p)!))]);
            var seen = new List<(int, int, double)>();
            history.PairCosines(set, (i, j, cosine) => seen.Add((i, j, cosine)));

            var expected = new List<(int, int, double)>();
            for (int i = 0; i < set.Length; i++)
            {
                for (int j = i + 1; j < set.Length; j++)
                {
                    double ni = TensorPrimitives.Norm<float>(centered[i]), nj = TensorPrimitives.Norm<float>(centered[j]);
                    expected.Add((i, j, ni > 0 && nj > 0 ? TensorPrimitives.Dot<float>(centered[i], centered[j]) / (ni * nj) : 0));
                }
            }

            Assert.Equal(expected, seen);
            double[] best = CollusionMath.MaxCosineToOthers([.. centered.Select(c => new ReadOnlyMemory<float>(c))]);
            Assert.Equal([.. best.Select(b => CollusionMath.Score(b, Low, High))], history.Scores(set, Low, High));
        }
    }

    [Fact]
    public void The_lower_of_distance_and_history_score_moves_trust()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        PeerId honest = ReputationTests.Peer(1), colluder = ReputationTests.Peer(2), other = ReputationTests.Peer(3);
        for (int round = 0; round < 5; round++)
        {
            // The colluder sits closest to the aggregate (ALIE's aim) yet its history score is 0.
            tracker.RecordRound([new(honest, 1.0), new(colluder, 0.1), new(other, 1.1)], [1.0, 0.0, 1.0]);
        }

        Assert.True(tracker.IsIgnored(colluder), $"trust {tracker.GetTrust(colluder)}");
        Assert.False(tracker.IsIgnored(honest));
        Assert.Throws<ArgumentException>(() => tracker.RecordRound([new(honest, 1.0)], [1.0, 1.0]));
    }

    /// <summary>
    /// 14 honest peers deviate from the aggregate by independent N(0, 1) noise per coordinate plus a shared offset
    /// (the aggregate's own displacement, fresh each round); the colluders (last) all send one crafted vector per
    /// round: the ALIE bias −z·σ with z = 0.67 (Baruch et al.'s z for n = 20, f = 6), smaller than the honest noise,
    /// plus the same shared offset and a small per-colluder jitter from crafting at slightly different times.
    /// Histories through <see cref="DeviationHistory"/>, cross-checked against the pure functions.
    /// </summary>
    private static double[] RunRounds(int seed, int colluders, out double largestHonestCosine, double commonOffset = 1, int rounds = 12, double jitter = 0.05)
    {
        const int honest = 14;
        double beta = ReputationOptions.Default.HistoryDecay;
        var random = new Random(seed);
        var history = new DeviationHistory(beta);
        PeerId[] peers = Enumerable.Range(0, honest + colluders).Select(i => ReputationTests.Peer((byte)(i + 1))).ToArray();
        var emas = new float[peers.Length][];
        float[] aggregate = new float[Dimension];
        for (int round = 0; round < rounds; round++)
        {
            float[] offset = Noise(random, commonOffset);
            for (int i = 0; i < peers.Length; i++)
            {
                float[] state = AttackLibrary.GaussianNoise(offset, i < honest ? 1 : jitter, random);
                if (i >= honest)
                {
                    TensorPrimitives.Add(state, -0.67f, state);
                }

                history.Observe(peers[i], state, aggregate);
                if (emas[i] is null)
                {
                    emas[i] = state;
                }
                else
                {
                    CollusionMath.Accumulate(emas[i], state, beta);
                }
            }
        }

        double[] cosines = CollusionMath.MaxCosineToOthers(CollusionMath.WithoutCommonPart(emas.Select(e => (ReadOnlyMemory<float>)e).ToArray()).Select(e => (ReadOnlyMemory<float>)e).ToArray());
        largestHonestCosine = cosines[..honest].Max();
        double[] scores = history.Scores(peers, Low, High);
        Assert.Equal(cosines.Select(c => CollusionMath.Score(c, Low, High)), scores);
        return scores;
    }

    private static float[] Noise(Random random, double sigma) => AttackLibrary.GaussianNoise(new float[Dimension], sigma, random);
}
