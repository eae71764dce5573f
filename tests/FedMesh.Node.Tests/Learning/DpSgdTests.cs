using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using FedMesh.Node.Privacy;
using FedMesh.Node.Privacy.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Tests.Learning;

[Collection(LearningCollection.Name)]
public sealed class DpSgdTests(LearningFixture fixture)
{
    private static readonly LoraOptions Lora = LoraOptions.Default with { Rank = 4, Targets = LoraTargets.All };

    /// <summary>Records of varied length; one shorter than a window (padding path), the others longer.</summary>
    private IReadOnlyList<string> Records => [
        fixture.SotuTrain[0][..400], "Short record.", fixture.SotuTrain[0][400..1_000], fixture.SotuTrain[1][..300], fixture.SotuTrain[1][300..2_000]];

    private TorchLearner DpLearner(double clip, double sigma, int batch = 2, ulong seed = 3, bool frozenA = false) => new(
        fixture.Base, Lora with { FreezeA = frozenA }, LearningFixture.TinyTrainer with { BatchSize = batch, DpSgd = new DpSgdOptions { ClipNorm = clip, NoiseMultiplier = sigma } },
        Records, null, GaussianNoiseSource.CreateSeeded(seed), new Xoshiro256StarStar(seed));

    /// <summary>A non-zero adapter: with B = 0 (LoRA's initialisation) A's gradient would be zero and prove nothing.</summary>
    private static void Randomise(TorchLearner learner)
    {
        var random = new Random(11);
        learner.SetAdapter(Enumerable.Range(0, (int)learner.Schema.TotalElements).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // FFA-LoRA: A frozen, per-example gradients of B only
    public void Per_example_gradients_equal_a_naive_per_example_loop(bool frozenA)
    {
        using TorchLearner learner = DpLearner(clip: 1, sigma: 0, frozenA: frozenA);
        Randomise(learner);
        int[] all = Enumerable.Range(0, Records.Count).ToArray();
        using DisposeScope scope = NewDisposeScope();
        (Tensor input, Tensor target) = learner.Runner.Records!.Windows(all);
        Assert.True(target[1].eq(RecordSampler.IgnoredTarget).any().item<bool>(), "the short record is padded with ignored targets");

        float[,] fast = ToMatrix(learner.Runner.PerExampleGradients(input, target, out _));

        IReadOnlyList<Parameter> parameters = learner.Model.AdapterParameters.Select(p => p.Parameter).ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            Tensor logits = learner.Model.Forward(input.narrow(0, i, 1), training: true);
            Tensor loss = F.cross_entropy(logits.reshape(-1, ModelOptions.VocabSize), target.narrow(0, i, 1).reshape(-1), ignore_index: RecordSampler.IgnoredTarget);
            loss.backward();
            float[] naive = parameters.SelectMany(p => p.grad!.data<float>().ToArray()).ToArray();
            foreach (Parameter p in parameters)
            {
                p.grad!.zero_();
            }

            Assert.Equal(naive.Length, fast.GetLength(1));
            Assert.True(naive.Any(g => Math.Abs(g) > 1e-4), "gradients are not trivially zero");
            for (int j = 0; j < naive.Length; j++)
            {
                Assert.True(Math.Abs(naive[j] - fast[i, j]) <= 1e-5 * Math.Max(1, Math.Abs(naive[j])), $"record {i}, coordinate {j}: naive {naive[j]} vs per-example {fast[i, j]}");
            }
        }
    }

    [Fact]
    public void Ffa_lora_trains_and_exchanges_only_B_with_A_frozen_at_its_seed()
    {
        using TorchLearner plain = DpLearner(clip: 1, sigma: 1);
        using TorchLearner ffa = DpLearner(clip: 1, sigma: 1, frozenA: true);
        Assert.All(ffa.Schema.Tensors, t => Assert.EndsWith(".lora_b", t.Name, StringComparison.Ordinal));
        Assert.Equal(plain.Schema.Tensors.Where(t => t.Name.EndsWith(".lora_b", StringComparison.Ordinal)).Select(t => t.Name), ffa.Schema.Tensors.Select(t => t.Name));
        Assert.NotEqual(plain.Schema.HashHex, ffa.Schema.HashHex); // FFA and plain nodes never merge each other's states
        Assert.Equal(plain.Schema.TotalElements, 2 * ffa.Schema.TotalElements); // all targets: A and B hold r·Σin = r·Σout values

        float[] frozenBefore = FrozenA(ffa);
        Assert.Equal(FrozenA(plain), frozenBefore); // same seed, same A: the initialisation is plain LoRA's
        LocalRound round = ffa.Train(3, CancellationToken.None);
        Assert.Equal(ffa.Schema.TotalElements, round.Delta.Length);
        Assert.Contains(round.Delta, d => d != 0f);
        Assert.Equal(frozenBefore, FrozenA(ffa));
    }

    /// <summary>The learner's LoRA A factors in site order, trained or not.</summary>
    private static float[] FrozenA(TorchLearner learner) =>
        learner.Model.LoraFactors.SelectMany(f => f.A.data<float>().ToArray()).ToArray();

    [Fact]
    public void Clipping_bounds_each_records_contribution_to_C()
    {
        const double C = 0.05; // far below the tiny model's per-record gradient norms (≈ 0.5–5), so every record is clipped
        using TorchLearner learner = DpLearner(clip: C, sigma: 0);
        Randomise(learner);
        int p = (int)learner.Schema.TotalElements;
        int n = Records.Count;
        float[] sumAll = new float[p], sumWithout = new float[p], single = new float[p];
        using DisposeScope scope = NewDisposeScope();
        (Tensor input, Tensor target) = learner.Runner.Records!.Windows(Enumerable.Range(0, n).ToArray());
        Tensor without = torch.tensor(new long[] { 0, 1, 3, 4 });

        learner.Runner.ClippedGradientSum(input, target, sumAll);
        learner.Runner.ClippedGradientSum(input.index_select(0, without), target.index_select(0, without), sumWithout);
        learner.Runner.ClippedGradientSum(input.narrow(0, 2, 1), target.narrow(0, 2, 1), single);

        double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
        Assert.InRange(Norm(single), C * 0.999, C * 1.0001); // a clipped record has norm exactly C
        Assert.True(Norm(sumAll) <= (n * C) + 1e-6);
        // Adding or removing one record moves the clipped sum by at most C: the sensitivity the noise is scaled to.
        double change = Math.Sqrt(sumAll.Zip(sumWithout, (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.InRange(change, C * 0.999, C * 1.0001);
    }

    [Fact]
    public void Clipped_sum_taken_in_chunks_equals_the_sum_over_the_whole_batch()
    {
        // A DP step takes large batches MaxRecordsPerChunk records at a time, adding each chunk's clipped sum.
        using TorchLearner learner = DpLearner(clip: 0.05, sigma: 0);
        Randomise(learner);
        int n = Records.Count;
        float[] whole = new float[learner.Schema.TotalElements], chunked = new float[learner.Schema.TotalElements];
        using DisposeScope scope = NewDisposeScope();
        (Tensor input, Tensor target) = learner.Runner.Records!.Windows(Enumerable.Range(0, n).ToArray());
        learner.Runner.ClippedGradientSum(input, target, whole);
        learner.Runner.ClippedGradientSum(input.narrow(0, 0, 2), target.narrow(0, 0, 2), chunked);
        learner.Runner.ClippedGradientSum(input.narrow(0, 2, n - 2), target.narrow(0, 2, n - 2), chunked);
        Assert.Contains(whole, g => Math.Abs(g) > 1e-4);
        for (int j = 0; j < whole.Length; j++)
        {
            Assert.True(Math.Abs(whole[j] - chunked[j]) <= 1e-5 * Math.Max(1, Math.Abs(whole[j])), $"coordinate {j}: {whole[j]} vs {chunked[j]}");
        }
    }

    [Fact]
    public void Clipping_leaves_small_gradients_unchanged()
    {
        using TorchLearner learner = DpLearner(clip: 1e6, sigma: 0);
        Randomise(learner);
        float[] clipped = new float[learner.Schema.TotalElements];
        using DisposeScope scope = NewDisposeScope();
        (Tensor input, Tensor target) = learner.Runner.Records!.Windows([0, 3]);
        learner.Runner.ClippedGradientSum(input, target, clipped);
        float[,] g = ToMatrix(learner.Runner.PerExampleGradients(input, target, out _));

        for (int j = 0; j < clipped.Length; j++)
        {
            Assert.True(Math.Abs(g[0, j] + g[1, j] - clipped[j]) <= 1e-5 * Math.Max(1, Math.Abs(clipped[j])), $"coordinate {j}");
        }
    }

    [Fact]
    public void Poisson_sampling_draws_each_record_at_rate_q()
    {
        const int N = 2_000, Draws = 4_000;
        const double Q = 0.01;
        var sampler = new RecordSampler(Enumerable.Range(0, N).Select(i => $"record {i}").ToArray(), 32, Q, new Xoshiro256StarStar(5));
        var sizes = new double[Draws];
        var hits = new int[N];
        for (int d = 0; d < Draws; d++)
        {
            IReadOnlyList<int> drawn = sampler.Draw();
            sizes[d] = drawn.Count;
            Assert.Equal(drawn.Distinct().Count(), drawn.Count);
            foreach (int r in drawn)
            {
                hits[r]++;
            }
        }

        double mean = sizes.Average();
        double variance = sizes.Select(s => (s - mean) * (s - mean)).Sum() / (Draws - 1);
        // Batch size ~ Binomial(n, q): mean nq = 20 (sd of the mean ≈ 0.07), variance nq(1−q) = 19.8.
        Assert.InRange(mean, (N * Q) - 0.3, (N * Q) + 0.3);
        Assert.InRange(variance, N * Q * (1 - Q) * 0.85, N * Q * (1 - Q) * 1.15);
        // No position bias (the gap sampling must not favour the first or last records): each tenth of the
        // records is drawn at rate q (expected 8,000 hits, sd ≈ 89).
        for (int part = 0; part < 10; part++)
        {
            double rate = hits.Skip(part * (N / 10)).Take(N / 10).Sum() / (double)(Draws * (N / 10));
            Assert.InRange(rate, Q * 0.95, Q * 1.05);
        }
    }

    [Fact]
    public void Sampling_rate_one_draws_every_record_once()
    {
        var sampler = new RecordSampler(["a b", "c d", "e f"], 32, 1.0, new Xoshiro256StarStar(1));
        Assert.Equal([0, 1, 2], sampler.Draw());
    }

    [Fact]
    public void Dp_sgd_sampling_rate_is_expected_batch_over_records_and_noise_changes_the_update()
    {
        using TorchLearner a = DpLearner(clip: 1, sigma: 1.0, seed: 3);
        using TorchLearner b = DpLearner(clip: 1, sigma: 1.0, seed: 3);
        using TorchLearner c = DpLearner(clip: 1, sigma: 1.0, seed: 4);

        Assert.Equal(2.0 / Records.Count, a.SamplingRate, 12);
        float[] da = a.Train(3, CancellationToken.None).Delta;
        Assert.Equal(da, b.Train(3, CancellationToken.None).Delta); // seeded noise and sampling: reproducible in tests
        Assert.NotEqual(da, c.Train(3, CancellationToken.None).Delta);
    }

    [Fact]
    public void Dp_sgd_training_with_moderate_noise_still_lowers_held_out_loss()
    {
        // Many short records (the privacy unit), a large expected batch so that σC/B is small against the signal.
        IReadOnlyList<string> records = fixture.SotuTrain.SelectMany(t => Enumerable.Range(0, t.Length / 200).Select(i => t.Substring(i * 200, 200))).ToArray();
        using var learner = new TorchLearner(
            fixture.Base, Lora, LearningFixture.TinyTrainer with { BatchSize = 64, LearningRate = 1e-2f, DpSgd = new DpSgdOptions { ClipNorm = 1, NoiseMultiplier = 0.5 } },
            records, null, GaussianNoiseSource.CreateSeeded(9), new Xoshiro256StarStar(9));
        double before = learner.Evaluate(fixture.SotuHeldOut).BitsPerByte;

        learner.Train(60, CancellationToken.None);

        double after = learner.Evaluate(fixture.SotuHeldOut).BitsPerByte;
        Assert.True(after < before - 0.03, $"bpb {before:F3} -> {after:F3}");
    }

    private static float[,] ToMatrix(Tensor t)
    {
        float[] flat = t.contiguous().data<float>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var m = new float[rows, cols];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(float));
        return m;
    }
}
