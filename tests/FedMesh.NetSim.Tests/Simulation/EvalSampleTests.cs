using FedMesh.NetSim.Simulation.Internal;
using FedMesh.Node.Data.Corpora;

namespace FedMesh.NetSim.Tests.Simulation;

public class EvalSampleTests
{
    [Fact]
    public void Slices_take_an_equal_middle_share_of_every_document()
    {
        IReadOnlyList<string> slices = EvalSample.Slices(["aaaaXXbbbb", "cccYYddd", "Z"], 6);

        Assert.Equal(["XX", "YY", "Z"], slices);
        Assert.Equal(2 + 1 + 2 + 1 + 1 + 1, EvalSample.StreamBytes(slices));
    }

    [Fact]
    public void The_local_split_always_holds_out_an_address_and_keeps_the_rest_for_training()
    {
        var addresses = Enumerable.Range(1900, 5).Select(y => new SotuAddress(y, "P", "X", $"text {y}")).ToArray();
        for (ulong seed = 0; seed < 20; seed++)
        {
            var (train, holdout) = EvalSample.LocalSplit(addresses, seed, 0.1);

            Assert.NotEmpty(holdout);
            Assert.NotEmpty(train);
            Assert.Equal(addresses.Length, train.Count + holdout.Count);
            Assert.Empty(train.Intersect(holdout));
        }
    }
}
