using FedMesh.NetSim.Lab;
using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Tests.Lab;

public class NftRulesetTests
{
    [Fact]
    public void Without_faults_both_rulesets_only_remove_the_lab_table_idempotently()
    {
        LabState state = LabStates.Of("x", 2);
        Assert.Equal("table inet fedmesh_lab\ndelete table inet fedmesh_lab\n", NftRuleset.RenderNode(state, 0));
        Assert.Equal("table bridge fedmesh_lab\ndelete table bridge fedmesh_lab\n", NftRuleset.RenderHub(state));
    }

    [Fact]
    public void A_partition_drops_bridge_frames_from_each_port_to_the_other_groups_ports_only()
    {
        LabState state = LabStates.Of("x", 4);
        state = state with { Nodes = state.Nodes.Select(n => n with { Faults = n.Faults with { PartitionGroup = n.Index / 2 } }).ToList() };
        string script = NftRuleset.RenderHub(state);
        Assert.Contains("type filter hook forward", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"v0\" oifname { \"v2\", \"v3\" } drop", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"v1\" oifname { \"v2\", \"v3\" } drop", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"v2\" oifname { \"v0\", \"v1\" } drop", script, StringComparison.Ordinal);
        Assert.Contains("iifname \"v3\" oifname { \"v0\", \"v1\" } drop", script, StringComparison.Ordinal);
        Assert.Equal(4, script.Split('\n').Count(l => l.EndsWith(" drop", StringComparison.Ordinal)));
        Assert.DoesNotContain("numgen", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, "iifname \"eth0\" numgen random mod 100 < 30 drop")]
    [InlineData(100, "iifname \"eth0\" drop")]
    public void Loss_matches_only_the_lab_interface_and_full_loss_is_a_plain_drop(int percent, string expected)
    {
        string script = NftRuleset.RenderNode(LabStates.Of("x", 2).WithFaults(0, new LabNodeFaults { LossPercent = percent }), 0);
        Assert.Contains(expected, script, StringComparison.Ordinal);
        Assert.Contains(expected.Replace("iifname", "oifname", StringComparison.Ordinal), script, StringComparison.Ordinal);
        Assert.Contains("hook input", script, StringComparison.Ordinal);
        Assert.Contains("hook output", script, StringComparison.Ordinal);
    }
}
