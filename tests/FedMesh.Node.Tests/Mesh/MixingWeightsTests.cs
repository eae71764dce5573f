using FedMesh.Node.Mesh;

namespace FedMesh.Node.Tests.Mesh;

public class MixingWeightsTests
{
    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 3)]
    [InlineData(3, 3)]
    [InlineData(7, 3)]
    [InlineData(2, 0)]
    public void A_row_of_Metropolis_Hastings_weights_sums_to_one(int received, int degree)
    {
        double w = MixingWeights.NeighbourWeight(received, degree);
        double own = MixingWeights.OwnWeight(received, degree) * w;
        Assert.Equal(1.0, own + (received * w), 12);
        Assert.True(own >= w - 1e-12, "the own weight is never below a neighbour's");
    }

    [Fact]
    public void With_as_many_states_as_the_degree_or_more_the_mix_is_uniform()
    {
        Assert.Equal(1.0, MixingWeights.OwnWeight(3, 3));
        Assert.Equal(1.0, MixingWeights.OwnWeight(9, 3));
    }

    [Fact]
    public void With_fewer_states_than_the_degree_the_node_keeps_the_missing_neighbours_share()
    {
        // Degree 3, one state received: w_ij = 1/4, own 1 − 1/4 = 3/4, i.e. 3 against 1.
        Assert.Equal(3.0, MixingWeights.OwnWeight(1, 3));
        Assert.Equal(0.25, MixingWeights.NeighbourWeight(1, 3));
    }

    [Fact]
    public void Negative_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MixingWeights.OwnWeight(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MixingWeights.OwnWeight(1, -3));
    }
}
