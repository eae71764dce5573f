using FedMesh.NetSim.Hosting.Internal;

namespace FedMesh.NetSim.Tests.Hosting;

public class EvalSampleTests
{
    [Fact]
    public void Slices_take_an_equal_middle_share_of_every_document()
    {
        IReadOnlyList<string> slices = EvalSample.Slices(["aaaaXXbbbb", "cccYYddd", "Z"], 6);

        Assert.Equal(["XX", "YY", "Z"], slices);
        Assert.Equal(2 + 1 + 2 + 1 + 1 + 1, EvalSample.StreamBytes(slices));
    }
}
