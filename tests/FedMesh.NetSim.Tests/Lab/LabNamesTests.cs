using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

public class LabNamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("lab7")]
    [InlineData("abcdefghijkl")]
    public void Valid_names_pass(string name) => Assert.Null(LabNames.Check(name));

    [Theory]
    [InlineData("")]
    [InlineData("Lab")]
    [InlineData("a-b")]
    [InlineData("a b")]
    [InlineData("../etc")]
    [InlineData("abcdefghijklm")]
    [InlineData("lab;rm")]
    public void Invalid_names_are_rejected_with_the_name_in_the_message(string name)
    {
        LabException error = Assert.Throws<LabException>(() => LabNames.Validate(name));
        Assert.Contains(name.Length == 0 ? "empty" : name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resource_names_carry_the_lab_prefix_and_cannot_match_a_longer_lab_name()
    {
        Assert.Equal("fmlab-hub", LabNames.HubNamespace("ab"));
        Assert.Equal("fmlab-n3", LabNames.NodeNamespace("ab", 3));
        Assert.StartsWith(LabNames.NamespacePrefix("ab"), LabNames.NodeNamespace("ab", 0), StringComparison.Ordinal);
        Assert.False(LabNames.NodeNamespace("abc", 0).StartsWith(LabNames.NamespacePrefix("ab"), StringComparison.Ordinal));
    }

    [Fact]
    public void Node_addresses_are_distinct_hosts_of_one_private_24_that_is_stable_per_lab()
    {
        var addresses = Enumerable.Range(0, 64).Select(i => LabNames.NodeAddress("lab", i).GetAddressBytes()).ToList();
        Assert.All(addresses, a => Assert.Equal(addresses[0][..3], a[..3]));
        Assert.Equal(10, addresses[0][0]);
        Assert.InRange(addresses[0][1], 128, 255);
        Assert.Equal(64, addresses.Select(a => a[3]).Distinct().Count());
        Assert.DoesNotContain(addresses, a => a[3] == 0);
        Assert.Equal(LabNames.Subnet("lab"), LabNames.Subnet("lab"));
        Assert.NotEqual(LabNames.Subnet("lab"), LabNames.Subnet("lab2"));
    }

    [Fact]
    public void Fnv1a_matches_the_published_test_vector()
    {
        // FNV-1a 32-bit of "a" is 0xE40C292C (Fowler/Noll/Vo reference test suite).
        Assert.Equal(0xE40C292Cu, LabNames.Fnv1a("a"));
    }
}
