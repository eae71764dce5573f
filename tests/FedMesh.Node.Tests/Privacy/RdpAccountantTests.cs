using System.Globalization;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Tests.Privacy;

public sealed class RdpAccountantTests
{
    /// <summary>The brief's tolerance against the independent reference: 0.5% relative.</summary>
    private const double Tolerance = 0.005;

    public sealed record ReferenceRow(double Sigma, double Q, long Steps, double Delta, double EpsImproved, int AlphaImproved, double EpsClassic, int AlphaClassic)
    {
        public override string ToString() => $"σ={Sigma} q={Q} steps={Steps} δ={Delta}";
    }

    public static TheoryData<ReferenceRow> ReferenceRows()
    {
        var data = new TheoryData<ReferenceRow>();
        foreach (ReferenceRow row in ReadReference())
        {
            data.Add(row);
        }

        return data;
    }

    private static List<ReferenceRow> ReadReference()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Privacy", "rdp-accountant.tsv");
        var rows = new List<ReferenceRow>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || line.StartsWith("sigma", StringComparison.Ordinal) || line.Length == 0)
            {
                continue;
            }

            string[] f = line.Split('\t');
            CultureInfo inv = CultureInfo.InvariantCulture;
            rows.Add(new ReferenceRow(
                double.Parse(f[0], inv), double.Parse(f[1], inv), long.Parse(f[2], inv), double.Parse(f[3], inv),
                double.Parse(f[4], inv), int.Parse(f[5], inv), double.Parse(f[6], inv), int.Parse(f[7], inv)));
        }

        return rows;
    }

    [Fact]
    public void Reference_table_has_all_twelve_rows()
    {
        Assert.Equal(12, ReadReference().Count);
    }

    [Theory]
    [MemberData(nameof(ReferenceRows))]
    public void Accountant_reproduces_the_reference_row_with_both_conversions_and_best_orders(ReferenceRow row)
    {
        double[] rdp = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, row.Q, row.Sigma, row.Steps);

        EpsilonAtOrder improved = RdpAccountant.EpsilonImproved(rdp, RdpAccountant.DefaultOrders, row.Delta);
        EpsilonAtOrder classic = RdpAccountant.EpsilonClassic(rdp, RdpAccountant.DefaultOrders, row.Delta);

        Assert.InRange(improved.Epsilon, row.EpsImproved * (1 - Tolerance), row.EpsImproved * (1 + Tolerance));
        Assert.InRange(classic.Epsilon, row.EpsClassic * (1 - Tolerance), row.EpsClassic * (1 + Tolerance));
        Assert.Equal(row.AlphaImproved, improved.Order);
        Assert.Equal(row.AlphaClassic, classic.Order);
    }

    [Fact]
    public void Unsubsampled_gaussian_rdp_is_alpha_over_two_sigma_squared()
    {
        Assert.Equal(10 / (2 * 1.5 * 1.5), RdpAccountant.SubsampledGaussianRdp(1.0, 1.5, 10), 12);
    }

    [Fact]
    public void Subsampled_rdp_is_below_the_full_gaussian_and_above_zero()
    {
        foreach (int alpha in new[] { 2, 8, 64, 256 })
        {
            double full = RdpAccountant.SubsampledGaussianRdp(1.0, 1.0, alpha);
            double sub = RdpAccountant.SubsampledGaussianRdp(0.01, 1.0, alpha);
            Assert.InRange(sub, double.Epsilon, full);
        }
    }

    [Fact]
    public void Large_orders_with_small_sigma_stay_finite()
    {
        // exp((256²−256)/(2·0.5²)) overflows double by far; the log-space sum must not.
        double rdp = RdpAccountant.SubsampledGaussianRdp(0.5, 0.5, 256);
        Assert.True(double.IsFinite(rdp));
        Assert.True(rdp > 100);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(256)]
    public void Rdp_grows_with_sampling_rate_and_falls_with_sigma(int alpha)
    {
        double previous = 0;
        foreach (double q in new[] { 0.001, 0.01, 0.1, 0.5, 1.0 })
        {
            double rdp = RdpAccountant.SubsampledGaussianRdp(q, 1.2, alpha);
            Assert.True(rdp > previous, $"RDP at q={q} not above the smaller q");
            previous = rdp;
        }

        previous = double.PositiveInfinity;
        foreach (double sigma in new[] { 0.6, 0.9, 1.5, 4.0 })
        {
            double rdp = RdpAccountant.SubsampledGaussianRdp(0.05, sigma, alpha);
            Assert.True(rdp < previous, $"RDP at σ={sigma} not below the smaller σ");
            previous = rdp;
        }
    }

    [Fact]
    public void Composition_adds_rdp_and_epsilon_grows_with_steps_but_sublinearly()
    {
        IReadOnlyList<int> orders = RdpAccountant.DefaultOrders;
        double[] once = RdpAccountant.ComposedRdp(orders, 0.02, 1.1, 100);
        double[] twice = new double[orders.Count];
        RdpAccountant.Accumulate(twice, orders, 0.02, 1.1, 100);
        RdpAccountant.Accumulate(twice, orders, 0.02, 1.1, 100);
        double[] direct = RdpAccountant.ComposedRdp(orders, 0.02, 1.1, 200);
        for (int i = 0; i < orders.Count; i++)
        {
            Assert.Equal(direct[i], twice[i], 1e-9);
        }

        double eps100 = RdpAccountant.EpsilonImproved(once, orders, 1e-5).Epsilon;
        double eps200 = RdpAccountant.EpsilonImproved(twice, orders, 1e-5).Epsilon;
        Assert.True(eps200 > eps100);
        Assert.True(eps200 < 2 * eps100, "RDP composition should beat linear (basic) composition");
    }

    [Fact]
    public void Improved_conversion_is_never_above_the_classic_one()
    {
        foreach (ReferenceRow row in ReadReference())
        {
            double[] rdp = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, row.Q, row.Sigma, row.Steps);
            Assert.True(RdpAccountant.EpsilonImproved(rdp, RdpAccountant.DefaultOrders, row.Delta).Epsilon
                <= RdpAccountant.EpsilonClassic(rdp, RdpAccountant.DefaultOrders, row.Delta).Epsilon);
        }
    }

    [Fact]
    public void Log_sum_exp_matches_the_direct_sum_and_survives_huge_terms()
    {
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)), RdpAccountant.LogSumExp([1, 2, 3]), 12);
        Assert.Equal(1000 + Math.Log(2), RdpAccountant.LogSumExp([1000, 1000]), 9);
    }

    [Fact]
    public void Log_binomial_matches_exact_values()
    {
        Assert.Equal(Math.Log(252), RdpAccountant.LogBinomial(10, 5), 12);
        Assert.Equal(0, RdpAccountant.LogBinomial(256, 0), 12);
        Assert.Equal(Math.Log(256), RdpAccountant.LogBinomial(256, 1), 10);
    }

    [Fact]
    public void Invalid_order_is_refused_with_a_message()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => RdpAccountant.SubsampledGaussianRdp(0.1, 1, 1));
        Assert.Contains("order", ex.Message, StringComparison.Ordinal);
    }
}
