using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

public class PartitionGroupsTests
{
    [Fact]
    public void Groups_give_each_node_its_group_number()
    {
        Assert.Equal([0, 0, 1, 1], PartitionGroups.Parse("0,1:2,3", 4));
        Assert.Equal([1, 0, 2], PartitionGroups.Parse(" 1 : 0 : 2 ", 3));
    }

    [Theory]
    [InlineData("0,1,2,3", 4, "one group")]
    [InlineData("0,1:2", 4, "leaves out node(s) 3")]
    [InlineData("0,1:1,2,3", 4, "node 1 is listed twice")]
    [InlineData("0,1:2,4", 4, "'4' is not a node index 0-3")]
    [InlineData("0,-1:2,3", 4, "'-1'")]
    [InlineData("0,:1", 2, "'' is not a node index")]
    public void Bad_groups_are_rejected_with_the_reason(string groups, int nodes, string expected)
    {
        LabException error = Assert.Throws<LabException>(() => PartitionGroups.Parse(groups, nodes));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
