using FedMesh.Node.Privacy;
using FedMesh.Node.Privacy.Internal;

namespace FedMesh.Node.Tests.Privacy;

public sealed class LocalDpTests
{
    private static float[] RandomDelta(int length, double scale, ulong seed)
    {
        var normals = new double[length];
        GaussianNoiseSource.CreateSeeded(seed).FillStandardNormals(normals);
        return normals.Select(x => (float)(x * scale)).ToArray();
    }

    [Fact]
    public void Clipping_brings_a_large_delta_to_at_most_C_and_preserves_its_direction()
    {
        float[] delta = RandomDelta(10_000, 1.0, seed: 1);
        float[] original = (float[])delta.Clone();
        double before = DeltaClipping.L2Norm(delta);
        Assert.True(before > 50);

        DeltaClipping.ClipInPlace(delta, 2.0);

        double after = DeltaClipping.L2Norm(delta);
        Assert.True(after <= 2.0, $"norm after clipping {after} > C");
        Assert.InRange(after, 1.999, 2.0);
        double cosine = 0;
        for (int i = 0; i < delta.Length; i++)
        {
            cosine += (double)delta[i] * original[i];
        }

        cosine /= after * before;
        Assert.InRange(cosine, 0.999999, 1.000001);
    }

    [Fact]
    public void Clipping_leaves_a_delta_inside_the_ball_untouched()
    {
        float[] delta = RandomDelta(1000, 0.001, seed: 2);
        float[] original = (float[])delta.Clone();

        double scale = DeltaClipping.ClipInPlace(delta, 1.0);

        Assert.Equal(1.0, scale);
        Assert.Equal(original, delta);
    }

    [Fact]
    public void Clipping_refuses_non_finite_values()
    {
        float[] delta = [1, float.NaN, 2];
        var ex = Assert.Throws<ArgumentException>(() => DeltaClipping.ClipInPlace(delta, 1.0));
        Assert.Contains("NaN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seeded_noise_has_mean_zero_and_std_sigma_times_C()
    {
        const int N = 200_000;
        const double C = 0.5;
        const double Sigma = 1.3;
        var zeros = new float[N];
        LocalDpMechanism.PrivatizeInPlace(zeros, C, Sigma, GaussianNoiseSource.CreateSeeded(42));

        double mean = zeros.Average(x => (double)x);
        double std = Math.Sqrt(zeros.Sum(x => ((double)x - mean) * ((double)x - mean)) / (N - 1));
        double expected = Sigma * C;
        // Standard error of the mean is σC/√N ≈ 0.0015; of the std ≈ σC/√(2N) ≈ 0.001. 5 SE margins.
        Assert.InRange(mean, -5 * expected / Math.Sqrt(N), 5 * expected / Math.Sqrt(N));
        Assert.InRange(std, expected * (1 - (5 / Math.Sqrt(2.0 * N))), expected * (1 + (5 / Math.Sqrt(2.0 * N))));
    }

    [Fact]
    public void Standard_normals_have_gaussian_tail_mass()
    {
        var z = new double[400_000];
        GaussianNoiseSource.CreateSeeded(7).FillStandardNormals(z);
        double beyond2 = z.Count(x => Math.Abs(x) > 2) / (double)z.Length;
        double beyond1 = z.Count(x => Math.Abs(x) > 1) / (double)z.Length;
        // P(|Z| > 1) = 0.3173, P(|Z| > 2) = 0.0455 for a standard normal.
        Assert.InRange(beyond1, 0.3173 - 0.004, 0.3173 + 0.004);
        Assert.InRange(beyond2, 0.0455 - 0.0017, 0.0455 + 0.0017);
    }

    [Fact]
    public void Seeded_sources_replay_and_secure_sources_differ()
    {
        var a = new float[1001];
        var b = new float[1001];
        GaussianNoiseSource.CreateSeeded(9).AddNoise(a, 1.0);
        GaussianNoiseSource.CreateSeeded(9).AddNoise(b, 1.0);
        Assert.Equal(a, b);

        var c = new float[1001];
        var d = new float[1001];
        GaussianNoiseSource.CreateSecure().AddNoise(c, 1.0);
        GaussianNoiseSource.CreateSecure().AddNoise(d, 1.0);
        Assert.NotEqual(c, d);
        Assert.All(c, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Xoshiro256_star_star_matches_the_reference_sequence()
    {
        // Outputs of Blackman and Vigna's xoshiro256starstar.c from state {1, 2, 3, 4}.
        var rng = new Xoshiro256StarStar(1, 2, 3, 4);
        Assert.Equal(11520UL, rng.Next());
        Assert.Equal(0UL, rng.Next());
        Assert.Equal(1509978240UL, rng.Next());
        Assert.Equal(1215971899390074240UL, rng.Next());
    }

    [Fact]
    public void Box_muller_extremes_stay_finite()
    {
        var normals = new double[2];
        var scratch = new double[2];
        // Smallest U1 ((0 + 1)·2⁻⁵³) gives the largest radius √(2·53·ln 2) ≈ 8.57.
        GaussianSampling.BoxMuller([0UL, 0UL], normals, scratch);
        Assert.Equal(Math.Sqrt(2 * 53 * Math.Log(2)), Math.Abs(normals[0]) + Math.Abs(normals[1]), 6);

        GaussianSampling.BoxMuller([ulong.MaxValue, ulong.MaxValue], normals, scratch);
        Assert.Equal(0, normals[0], 6);
    }

    [Fact]
    public void Privatize_records_the_parameters_and_leaves_the_input_alone()
    {
        var options = PrivacyOptions.Default with { ClipNorm = 0.25, NoiseMultiplier = 2.0, SamplingRate = 0.5 };
        var mechanism = new LocalDpMechanism(options, GaussianNoiseSource.CreateSeeded(3));
        float[] delta = RandomDelta(100, 1.0, seed: 4);
        float[] copy = (float[])delta.Clone();

        PrivatizedDelta result = mechanism.Privatize(delta);

        Assert.Equal(copy, delta);
        Assert.Equal(0.25, result.ClipNorm);
        Assert.Equal(2.0, result.NoiseMultiplier);
        Assert.Equal(0.5, result.SamplingRate);
        Assert.Equal(1, result.Steps);
        Assert.Equal(100, result.Values.Length);
        Assert.NotEqual(copy, result.Values);
    }

    [Fact]
    public void Options_validation_names_the_key()
    {
        var options = PrivacyOptions.Default with { ClipNorm = -1, BudgetDelta = 2 };
        IReadOnlyList<string> errors = options.Validate();
        Assert.Contains(errors, e => e.Contains("privacy.clip_norm", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("privacy.budget_delta", StringComparison.Ordinal));
        Assert.Empty(PrivacyOptions.Default.Validate());
    }
}
