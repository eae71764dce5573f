using FedMesh.Node.Data.Corpora;

namespace FedMesh.Node.Tests.Data;

public sealed class ContiguousPartitionTests
{
    [Fact]
    public void The_classic_example_is_split_with_the_smallest_largest_part()
    {
        int[] starts = ContiguousPartition.Starts(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 3);

        // Parts 1..5 (15), 6..7 (13), 8..9 (17): no split into three has a largest part under 17.
        Assert.Equal([0, 5, 7], starts);
    }

    [Fact]
    public void The_result_matches_brute_force_on_random_small_inputs()
    {
        var random = new Random(12345);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = random.Next(1, 9);
            int parts = random.Next(1, n + 1);
            long[] weights = Enumerable.Range(0, n).Select(_ => (long)random.Next(0, 50)).ToArray();

            int[] starts = ContiguousPartition.Starts(weights, parts);

            Assert.Equal(parts, starts.Length);
            Assert.Equal(0, starts[0]);
            Assert.True(starts.Zip(starts.Skip(1)).All(p => p.First < p.Second), "parts must be non-empty and ordered");
            Assert.Equal(BruteForceBest(weights, parts), LargestPart(weights, starts));
        }
    }

    [Fact]
    public void More_parts_than_items_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ContiguousPartition.Starts(new long[] { 1, 2 }, 3));

    private static long LargestPart(long[] weights, int[] starts) =>
        ContiguousPartition.Split(weights, starts).Max(part => part.Sum());

    private static long BruteForceBest(long[] weights, int parts)
    {
        long best = long.MaxValue;
        int n = weights.Length;

        // Every choice of parts-1 distinct cut positions among 1..n-1, as a bit mask.
        for (int mask = 0; mask < 1 << (n - 1); mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != parts - 1)
            {
                continue;
            }

            int[] starts = [0, .. Enumerable.Range(1, n - 1).Where(c => (mask & (1 << (c - 1))) != 0)];
            best = Math.Min(best, LargestPart(weights, starts));
        }

        return best;
    }
}
