using FedMesh.Node.Mesh;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>The states a receiver resolves a modulo int8 release against when its own fails the check (<see cref="ModuloReferences"/>).</summary>
public class ModuloReferencesTests
{
    private static readonly float[] Own = [0f, 0f];

    [Fact]
    public void Preferred_states_come_first_in_their_order_then_the_others_nearest_the_own_state_first()
    {
        float[] beforeMerge = [5f, 5f];
        float[] previous = [9f, 0f];
        float[] far = [3f, 0f], near = [1f, 0f], middle = [0f, -2f];

        IReadOnlyList<float[]> order = ModuloReferences.Order(Own, [beforeMerge, previous], [far, near, middle]);

        Assert.Equal([beforeMerge, previous, near, middle, far], order);
    }

    [Fact]
    public void Missing_mismatched_repeated_and_own_equal_states_are_skipped()
    {
        float[] previous = [1f, 1f];
        float[] sameAsOwn = [0f, 0f];
        float[] wrongLength = [1f];
        float[] other = [2f, 2f];

        // No state before the merge (null), the origin's previous state also among the others: tried once, first.
        IReadOnlyList<float[]> order = ModuloReferences.Order(Own, [null, previous], [sameAsOwn, wrongLength, previous, other]);

        Assert.Equal([previous, other], order);
    }

    [Fact]
    public void At_most_max_states_are_tried_the_nearest_kept()
    {
        float[][] others = [.. Enumerable.Range(1, 12).Reverse().Select(i => new[] { (float)i, 0f })];

        IReadOnlyList<float[]> order = ModuloReferences.Order(Own, [], others);

        Assert.Equal(ModuloReferences.MaxFallbacks, order.Count);
        Assert.Equal(Enumerable.Range(1, ModuloReferences.MaxFallbacks).Select(i => (float)i), order.Select(s => s[0]));
        Assert.Empty(ModuloReferences.Order(Own, [[1f, 1f]], others, max: 0));
    }
}
