using FedMesh.Node.Demo;

namespace FedMesh.Node.Tests.Demo;

/// <summary><c>fedmesh-bench dp-mesh</c>'s adapter-shape flags: a bad value is refused with exit code 2 (the command's
/// own validation, before anything trains), not accepted and not a System.CommandLine parse error (exit 1).</summary>
public sealed class PrivateMeshBenchCommandTests
{
    [Theory]
    [InlineData("--targets", "q,w")]
    [InlineData("--targets", "")]
    [InlineData("--rank", "0")]
    [InlineData("--rank", "65")]
    public void Bad_adapter_shape_is_refused_before_training(string option, string value)
    {
        int code = PrivateMeshBenchCommand.Create().Parse(["--seeds", "1", "--rounds", "1", option, value]).Invoke();

        Assert.Equal(2, code);
    }

    /// <summary>The demo runs the daemons' default rule (centered clipping), which the in-process simulation does not
    /// implement: dp-mesh keeps its own default and refuses that rule before training (exit code 2).</summary>
    [Fact]
    public void The_simulation_keeps_a_rule_it_implements_while_the_demo_runs_the_daemon_default()
    {
        Assert.Equal(FedMesh.Node.Configuration.NodeOptions.Default.Merge.Rule, DemoOptions.Default.MergeRule);
        Assert.Contains(PrivateMeshSimulation.DemoDefaults.MergeRule, PrivateMeshSimulation.MergeRules);
        Assert.Equal(PrivateMeshSimulation.DemoDefaults, new PrivateMeshOptions().Demo);
        Assert.Equal(2, PrivateMeshBenchCommand.Create().Parse(["--seeds", "1", "--rounds", "1", "--rule", DemoOptions.Default.MergeRule]).Invoke());
    }

    [Theory]
    [InlineData("ffa:record", "record", true)]
    [InlineData("node", "node", false)]
    public void Ffa_prefix_is_split_off_the_level(string token, string level, bool ffa)
    {
        Assert.Equal(level, PrivateMeshBenchCommand.Unprefixed(token));
        Assert.Equal(ffa, PrivateMeshBenchCommand.IsFfa(token));
    }
}
