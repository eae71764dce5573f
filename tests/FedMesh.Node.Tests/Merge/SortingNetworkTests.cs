using FedMesh.Node.Merge.Internal;

namespace FedMesh.Node.Tests.Merge;

public sealed class SortingNetworkTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(17)]
    public void Truncated_batcher_network_sorts_every_zero_one_input(int k)
    {
        // 0–1 principle (Knuth TAOCP 5.3.4): a network that sorts all 2^k 0–1 inputs sorts everything.
        int[] net = SortingNetwork.Comparators(k);
        var v = new int[k];
        for (int mask = 0; mask < 1 << k; mask++)
        {
            for (int i = 0; i < k; i++)
            {
                v[i] = (mask >> i) & 1;
            }

            for (int p = 0; p < net.Length; p += 2)
            {
                if (v[net[p]] > v[net[p + 1]])
                {
                    (v[net[p]], v[net[p + 1]]) = (v[net[p + 1]], v[net[p]]);
                }
            }

            for (int i = 1; i < k; i++)
            {
                Assert.True(v[i - 1] <= v[i], $"k={k} mask={mask}");
            }
        }
    }

    [Theory]
    [InlineData(8, 19)]
    [InlineData(16, 63)]
    [InlineData(32, 191)]
    public void Power_of_two_networks_have_batchers_comparator_count(int k, int comparators)
    {
        Assert.Equal(comparators, SortingNetwork.Comparators(k).Length / 2);
    }
}
