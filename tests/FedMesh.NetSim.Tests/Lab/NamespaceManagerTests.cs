using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public class NamespaceManagerTests
{
    [Fact]
    public void Namespace_listings_are_read_with_or_without_ids()
    {
        IReadOnlySet<string> names = NamespaceManager.ParseList("fmla-n0 (id: 2)\nfmla-hub\n\nother (id: 0)\n");
        Assert.True(names.SetEquals(["fmla-n0", "fmla-hub", "other"]), string.Join(", ", names));
    }
}
