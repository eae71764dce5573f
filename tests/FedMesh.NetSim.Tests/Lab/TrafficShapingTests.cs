using FedMesh.NetSim.Lab;
using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public class TrafficShapingTests
{
    [Theory]
    [InlineData("1mbit", 1_000_000)]
    [InlineData("500kbit", 500_000)]
    [InlineData("2.5gbit", 2_500_000_000)]
    [InlineData("64000bit", 64_000)]
    [InlineData("1mbps", 8_000_000)]
    [InlineData("100kbps", 800_000)]
    public void Rates_parse_with_tc_units(string text, long bitsPerSecond) =>
        Assert.Equal(bitsPerSecond, TrafficShaping.ParseRate(text));

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("1 mbit")]
    [InlineData("1Mbit")]
    [InlineData("-1mbit")]
    [InlineData("1kbit")]
    [InlineData("1000gbit")]
    public void Bad_or_out_of_range_rates_are_rejected(string text) =>
        Assert.Throws<LabException>(() => TrafficShaping.ParseRate(text));

    [Fact]
    public void A_rate_alone_uses_tbf_with_a_bucket_of_at_least_two_frames()
    {
        Assert.Equal(["tbf", "rate", "1000000bit", "burst", "3028", "latency", "200ms"], TrafficShaping.RootQdisc(new LabNodeFaults { RateBitsPerSecond = 1_000_000 }));
        Assert.Equal(125_000, TrafficShaping.BurstBytes(100_000_000));
    }

    [Fact]
    public void Delay_uses_netem_carrying_the_rate_and_no_shaping_means_the_default_qdisc()
    {
        Assert.Equal(["netem", "delay", "20ms"], TrafficShaping.RootQdisc(new LabNodeFaults { DelayMs = 20 }));
        Assert.Equal(["netem", "delay", "20ms", "rate", "8000bit"], TrafficShaping.RootQdisc(new LabNodeFaults { DelayMs = 20, RateBitsPerSecond = 8000 }));
        Assert.Null(TrafficShaping.RootQdisc(new LabNodeFaults { LossPercent = 50, PartitionGroup = 1 }));
    }

    [Theory]
    [InlineData("Error: Specified qdisc kind is unknown.", true)]
    [InlineData("Unknown qdisc \"netem\", hence option \"delay\" is unparsable", true)]
    [InlineData("Error: Exclusivity flag on, cannot modify.", false)]
    public void The_missing_netem_error_is_recognised(string stderr, bool missing) =>
        Assert.Equal(missing, TrafficShaping.IsNetemMissing(stderr));
}
