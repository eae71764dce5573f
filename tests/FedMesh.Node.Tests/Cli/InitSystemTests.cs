using System.Runtime.Versioning;
using FedMesh.Node.Configuration;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Tests.Cli;

/// <summary>
/// Issue 17: <c>fedmesh init --system</c> sets up the layout the systemd unit expects (configuration in /etc, state and
/// data in /var/lib/fedmesh), here under a --root, never in the real /etc.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class InitSystemTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fedmesh-init-system-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_configuration_goes_to_etc_and_names_var_lib_for_state_and_data()
    {
        (int exit, string output, string error) = CliRunner.Run("init", "--system", "--root", _root, "--mesh", "hospitals");

        Assert.True(exit == 0, error);
        string config = Path.Combine(_root, "etc", "fedmesh", "fedmesh.toml");
        NodeOptions options = ConfigLoader.Load(config, new Dictionary<string, string>());
        Assert.Equal("/var/lib/fedmesh", options.Node.StateDir);
        Assert.Equal("/var/lib/fedmesh/data", options.Data.Folder);
        Assert.Equal("hospitals", options.Network.MeshId);

        // Created under the root: the state directory (0700) with the identity key, and the data folder inside it.
        string state = Path.Combine(_root, "var", "lib", "fedmesh");
        Assert.Equal(StateDirectory.DirectoryMode, File.GetUnixFileMode(state));
        Assert.True(File.Exists(new StatePaths(state).IdentityKey));
        Assert.True(Directory.Exists(Path.Combine(state, "data")));
        Assert.False(Directory.Exists(Path.Combine(_root, "etc", "fedmesh", "state")));

        // The next steps are the service's, with the real paths.
        Assert.Contains("into /var/lib/fedmesh/data", output, StringComparison.Ordinal);
        Assert.Contains("systemctl enable --now fedmesh", output, StringComparison.Ordinal);
        Assert.Contains("fedmesh status --config /etc/fedmesh/fedmesh.toml", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_init_keeps_the_configuration_unless_forced_and_the_key_always()
    {
        Assert.Equal(0, CliRunner.Run("init", "--system", "--root", _root).Exit);
        string key = new StatePaths(Path.Combine(_root, "var", "lib", "fedmesh")).IdentityKey;
        byte[] first = File.ReadAllBytes(key);

        (int exit, _, string error) = CliRunner.Run("init", "--system", "--root", _root);
        Assert.Equal(2, exit);
        Assert.Contains("etc/fedmesh/fedmesh.toml exists (use --force to overwrite)", error, StringComparison.Ordinal);

        Assert.Equal(0, CliRunner.Run("init", "--system", "--root", _root, "--force").Exit);
        Assert.Equal(first, File.ReadAllBytes(key));
    }

    [Theory]
    [InlineData("--root", "x")]
    [InlineData("--system", "--dir")]
    public void Conflicting_flags_are_refused(string flag, string other)
    {
        string[] args = other == "--dir" ? ["init", flag, "--dir", _root] : ["init", flag, Path.Combine(_root, other)];
        (int exit, _, string error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Contains(other == "--dir" ? "--dir cannot move it" : "--root applies to --system only", error, StringComparison.Ordinal);
    }
}
