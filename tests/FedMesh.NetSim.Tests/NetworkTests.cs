using FedMesh.NetSim.Network;
using FedMesh.NetSim.Simulation;

namespace FedMesh.NetSim.Tests;

public class NetworkTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(1000, 8)]
    [InlineData(3000, 6)]
    public void Random_regular_graphs_are_simple_regular_and_connected(int n, int k)
    {
        int[][] g = Topology.RandomRegular(n, k, new Random(42));
        Assert.All(g, neighbours => Assert.Equal(k, neighbours.Length));
        for (int i = 0; i < n; i++)
        {
            Assert.DoesNotContain(i, g[i]);
            Assert.Equal(g[i].Length, g[i].Distinct().Count());
            Assert.All(g[i], j => Assert.Contains(i, g[j]));
        }

        Assert.True(Topology.IsConnected(g));
    }

    [Fact]
    public void Same_seed_gives_the_same_graph()
    {
        Assert.Equal(Topology.RandomRegular(200, 6, new Random(5)), Topology.RandomRegular(200, 6, new Random(5)));
        Assert.Equal(Topology.SmallWorld(200, 6, 0.1, new Random(5)), Topology.SmallWorld(200, 6, 0.1, new Random(5)));
    }

    [Fact]
    public void Clusters_are_dense_inside_and_bridged()
    {
        int[][] g = Topology.Clusters(12, 3, 1, new Random(1));
        Assert.Contains(1, g[0]);
        Assert.True(Topology.IsConnected(g));
    }

    [Fact]
    public void A_partition_blocks_delivery_and_heal_restores_it()
    {
        var clock = new VirtualClock();
        var net = new SimNetwork(clock, 4, new Random(1));
        int delivered = 0;
        net.Partition([[0, 1], [2, 3]]);
        Assert.False(net.Send(0, 2, 100, () => delivered++));
        Assert.True(net.Send(0, 1, 100, () => delivered++));
        clock.RunUntil(TimeSpan.FromSeconds(1));
        Assert.Equal(1, delivered);
        net.Heal();
        Assert.True(net.Send(0, 2, 100, () => delivered++));
        clock.RunUntil(TimeSpan.FromSeconds(2));
        Assert.Equal(2, delivered);
    }

    [Fact]
    public void A_message_in_flight_when_the_partition_starts_is_lost()
    {
        var clock = new VirtualClock();
        var net = new SimNetwork(clock, 2, new Random(1));
        int delivered = 0;
        net.Send(0, 1, 100, () => delivered++);
        net.Partition([[0], [1]]);
        clock.RunUntil(TimeSpan.FromSeconds(1));
        Assert.Equal(0, delivered);
        Assert.Equal(1, net.MessagesDropped);
    }

    [Fact]
    public void Bandwidth_serialises_messages_on_a_link()
    {
        var clock = new VirtualClock();
        var profile = new LinkProfile { BaseLatency = TimeSpan.Zero, JitterMedian = TimeSpan.Zero, BandwidthBytesPerSecond = 1000 };
        var net = new SimNetwork(clock, 2, new Random(1), profile);
        var arrivals = new List<TimeSpan>();
        net.Send(0, 1, 1000, () => arrivals.Add(clock.Elapsed));
        net.Send(0, 1, 500, () => arrivals.Add(clock.Elapsed));
        clock.RunUntil(TimeSpan.FromSeconds(10));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5)], arrivals);
    }

    [Fact]
    public void Loss_drops_about_the_configured_fraction()
    {
        var clock = new VirtualClock();
        var net = new SimNetwork(clock, 2, new Random(3), LinkProfile.Default with { Loss = 0.2 });
        int delivered = 0;
        for (int i = 0; i < 10_000; i++)
        {
            net.Send(0, 1, 10, () => delivered++);
        }

        clock.RunUntil(TimeSpan.FromHours(1));
        Assert.InRange(delivered, 7_700, 8_300);
    }
}
