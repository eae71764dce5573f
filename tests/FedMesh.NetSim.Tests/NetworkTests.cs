using FedMesh.NetSim.Network;

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
}
