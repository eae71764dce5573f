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

    [Theory]
    [InlineData("ffa:record", "record", true)]
    [InlineData("node", "node", false)]
    public void Ffa_prefix_is_split_off_the_level(string token, string level, bool ffa)
    {
        Assert.Equal(level, PrivateMeshBenchCommand.Unprefixed(token));
        Assert.Equal(ffa, PrivateMeshBenchCommand.IsFfa(token));
    }
}
