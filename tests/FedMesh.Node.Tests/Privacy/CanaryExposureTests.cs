using FedMesh.Node.Privacy;

namespace FedMesh.Node.Tests.Privacy;

public sealed class CanaryExposureTests
{
    [Fact]
    public void Exposure_is_log2_of_the_candidate_count_minus_log2_of_the_canarys_rank()
    {
        double[] candidates = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        Assert.Equal(3.0, CanaryExposure.MaxExposure(candidates.Length), 12);
        Assert.Equal(3.0, CanaryExposure.Exposure(0.5, candidates), 12); // the favourite: rank 1, the maximum
        Assert.Equal(0.0, CanaryExposure.Exposure(9.0, candidates), 12); // every candidate beats it: rank 8
        Assert.Equal(3.0 - Math.Log2(4), CanaryExposure.Exposure(3.5, candidates), 12); // three candidates ahead
        Assert.Equal(3.0 - Math.Log2(3), CanaryExposure.Exposure(3.0, candidates), 12); // a tie counts for the canary
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => CanaryExposure.Exposure(1.0, []));
        Assert.Throws<ArgumentException>(() => CanaryExposure.Exposure(double.NaN, [1.0]));
        Assert.Throws<ArgumentException>(() => CanaryExposure.Exposure(1.0, [double.NaN]));
    }

    [Fact]
    public void Canaries_share_the_format_and_differ_in_their_digits()
    {
        var random = new Random(7);
        string a = CanaryExposure.Format(random), b = CanaryExposure.Format(random);
        Assert.StartsWith(CanaryExposure.Prefix, a, StringComparison.Ordinal);
        Assert.Equal(CanaryExposure.Prefix.Length + CanaryExposure.SecretDigits + 1, a.Length);
        Assert.All(a[CanaryExposure.Prefix.Length..^1], c => Assert.InRange(c, '0', '9'));
        Assert.NotEqual(a, b);
    }
}
