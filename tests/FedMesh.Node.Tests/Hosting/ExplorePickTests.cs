using FedMesh.Node.Hosting.Internal;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// The exploration target's pick (<see cref="MembershipService.PickInOrder{T}"/>): the same item, from the same random
/// draw, as the stable LINQ <c>OrderBy(order)</c> it replaced, also when many candidates share an order (seeds are
/// ranked 0, 1, 2, …; an unstable sort would reorder equal ranks and pick another target).
/// </summary>
public class ExplorePickTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_pick_equals_a_stable_order_by_of_the_candidates_for_the_same_draw(int seed)
    {
        var data = new Random(seed);
        int withTies = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            int count = data.Next(1, 200);
            // Few distinct orders (0..count/4) so that most lists hold ties, as seeds' consecutive ranks can.
            long[] orders = [.. Enumerable.Range(0, count).Select(_ => (long)data.Next(0, Math.Max(1, count / 4)))];
            withTies += orders.Distinct().Count() < count ? 1 : 0;
            var candidates = new List<(long Order, int Index, int Item)>();
            for (int i = 0; i < count; i++)
            {
                candidates.Add((orders[i], i, i));
            }

            int drawSeed = data.Next();
            int[] expectedOrder = [.. Enumerable.Range(0, count).OrderBy(i => orders[i])];
            int expected = expectedOrder[new Random(drawSeed).Next(count)];

            int picked = MembershipService.PickInOrder(candidates, new Random(drawSeed));

            Assert.Equal(expected, picked);
            Assert.Equal(expectedOrder, candidates.Select(c => c.Item));
        }

        Assert.True(withTies > 300, $"only {withTies} of 400 lists had equal orders");
    }
}
