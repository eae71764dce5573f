using FedMesh.NetSim.Lab;
using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public class NftRulesetTests
{
    [Fact]
    public void A_node_without_faults_gets_only_the_idempotent_table_removal()
    {
        string script = NftRuleset.Render(LabStates.Of("x", 2), 0);
        Assert.Equal("table inet fedmesh_lab\ndelete table inet fedmesh_lab\n", script);
    }

    [Fact]
    public void A_partition_drops_the_other_groups_addresses_both_ways_and_nothing_of_its_own_group()
    {
        LabState state = LabStates.Of("x", 4);
        state = state with { Nodes = state.Nodes.Select(n => n with { Faults = n.Faults with { PartitionGroup = n.Index / 2 } }).ToList() };
        string script = NftRuleset.Render(state, 1);
        string other = $"{{ {state.Nodes[2].Address}, {state.Nodes[3].Address} }}";
        Assert.Contains($"ip saddr {other} drop", script, StringComparison.Ordinal);
        Assert.Contains($"ip daddr {other} drop", script, StringComparison.Ordinal);
        Assert.DoesNotContain(state.Nodes[0].Address, script, StringComparison.Ordinal);
        Assert.DoesNotContain("numgen", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, "iifname \"eth0\" numgen random mod 100 < 30 drop")]
    [InlineData(100, "iifname \"eth0\" drop")]
    public void Loss_matches_only_the_lab_interface_and_full_loss_is_a_plain_drop(int percent, string expected)
    {
        string script = NftRuleset.Render(LabStates.Of("x", 2).WithFaults(0, new LabNodeFaults { LossPercent = percent }), 0);
        Assert.Contains(expected, script, StringComparison.Ordinal);
        Assert.Contains(expected.Replace("iifname", "oifname", StringComparison.Ordinal), script, StringComparison.Ordinal);
        Assert.Contains("hook input", script, StringComparison.Ordinal);
        Assert.Contains("hook output", script, StringComparison.Ordinal);
    }
}
