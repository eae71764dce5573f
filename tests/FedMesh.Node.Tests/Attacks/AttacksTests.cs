using FedMesh.Node.Attacks;
using FedMesh.Node.Tests.Merge;

namespace FedMesh.Node.Tests.Attacks;

public sealed class AttacksTests
{
    [Fact]
    public void Sign_flip_scaling_and_free_rider_are_exact()
    {
        float[] x = [1f, -2f, 0.5f];
        Assert.Equal([-1f, 2f, -0.5f], AttackLibrary.SignFlip(x));
        Assert.Equal([-3f, 6f, -1.5f], AttackLibrary.SignFlip(x, 3f));
        Assert.Equal([10f, -20f, 5f], AttackLibrary.Scaling(x, 10f));
        Assert.Equal([0f, 0f, 0f], AttackLibrary.FreeRider(3));
    }

    [Theory]
    [InlineData(50, 12, 0.5828)]
    [InlineData(16, 3, 0.3186)]
    [InlineData(10, 4, 0.8416)]
    public void Alie_z_follows_the_papers_formula(int n, int f, double expected)
    {
        // s = ⌊n/2 + 1⌋ − f; z = Φ⁻¹((n − s)/n): n=50,f=12 → Φ⁻¹(0.72); n=16,f=3 → Φ⁻¹(0.625); n=10,f=4 → Φ⁻¹(0.8)
        Assert.Equal(expected, AttackLibrary.AlieZ(n, f), 4);
    }

    [Fact]
    public void Alie_is_mean_minus_z_std_per_coordinate()
    {
        float[][] honest = [[1f, 0f], [3f, 0f], [5f, 6f], [7f, 6f]];
        float[] alie = AttackLibrary.Alie(TestDeltas.Mem(honest), 2.0);
        // mean (4, 3), population std (√5, 3)
        Assert.Equal(4f - (2f * MathF.Sqrt(5f)), alie[0], 5);
        Assert.Equal(-3f, alie[1], 5);
    }

    [Fact]
    public void Inner_product_manipulation_points_against_the_honest_mean()
    {
        float[][] honest = TestDeltas.Honest(5, 64, seed: 3);
        float[] ipm = AttackLibrary.InnerProduct(TestDeltas.Mem(honest), 0.1f);
        (float[] mean, _) = AttackLibrary.MeanAndStd(TestDeltas.Mem(honest));
        double dot = mean.Zip(ipm, (a, b) => (double)a * b).Sum();
        double meanSq = mean.Sum(a => (double)a * a);
        Assert.Equal(-0.1 * meanSq, dot, 3);
    }

    [Fact]
    public void Gaussian_noise_and_craft_are_deterministic_per_seed()
    {
        float[][] honest = TestDeltas.Honest(4, 32, seed: 9);
        float[][] previous = TestDeltas.Honest(4, 32, seed: 10);
        IReadOnlyList<float[]> a = AttackLibrary.Craft(AttackKind.GaussianNoise, TestDeltas.Mem(honest), previous, 3, 7, AttackOptions.Default, seed: 5);
        IReadOnlyList<float[]> b = AttackLibrary.Craft(AttackKind.GaussianNoise, TestDeltas.Mem(honest), previous, 3, 7, AttackOptions.Default, seed: 5);
        IReadOnlyList<float[]> c = AttackLibrary.Craft(AttackKind.GaussianNoise, TestDeltas.Mem(honest), previous, 3, 7, AttackOptions.Default, seed: 6);
        Assert.Equal(a[2], b[2]);
        Assert.NotEqual(a[2], c[2]);

        float[] noisy = AttackLibrary.GaussianNoise(new float[20000], 2.0, new Random(1));
        double std = Math.Sqrt(noisy.Sum(v => (double)v * v) / noisy.Length);
        Assert.InRange(std, 1.95, 2.05);
    }

    [Fact]
    public void Replay_resends_the_previous_rounds_delta_and_needs_history()
    {
        float[][] honest = TestDeltas.Honest(2, 8, seed: 1);
        float[][] previous = TestDeltas.Honest(2, 8, seed: 2);
        IReadOnlyList<float[]> r = AttackLibrary.Craft(AttackKind.Replay, TestDeltas.Mem(honest), previous, 3, 5, AttackOptions.Default, seed: 0);
        Assert.Equal(previous[0], r[0]);
        Assert.Equal(previous[1], r[1]);
        Assert.Equal(previous[0], r[2]);
        Assert.Equal(previous[1], AttackLibrary.Replay(previous, 1));
        Assert.Throws<ArgumentException>(() => AttackLibrary.Craft(AttackKind.Replay, TestDeltas.Mem(honest), [], 1, 3, AttackOptions.Default, 0));
    }

    [Fact]
    public void Attack_names_parse_and_unknown_names_are_listed_in_the_error()
    {
        foreach (AttackKind kind in AttackKindNames.All)
        {
            Assert.True(AttackKindNames.TryParse(kind.ToName(), out AttackKind parsed, out _));
            Assert.Equal(kind, parsed);
        }

        Assert.False(AttackKindNames.TryParse("lie", out _, out string error));
        Assert.Contains("alie", error, StringComparison.Ordinal);
    }
}
