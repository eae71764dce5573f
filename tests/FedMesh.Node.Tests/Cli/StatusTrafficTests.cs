using FedMesh.Node.Cli;

namespace FedMesh.Node.Tests.Cli;

public sealed class StatusTrafficTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(999L, "999 B")]
    [InlineData(10_240L, "10.2 kB")]
    [InlineData(999_949L, "999.9 kB")]
    [InlineData(1_500_000L, "1.5 MB")]
    [InlineData(2_345_000_000L, "2.35 GB")]
    public void Status_shows_small_traffic_in_a_unit_that_does_not_round_it_to_zero(long bytes, string expected) =>
        Assert.Equal(expected, NodeCommands.WireBytes(bytes));
}
