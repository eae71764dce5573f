using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Cli;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class IdentityCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        (int exit, string output, string error) = CliRunner.Run(args);
        return (exit, output.Trim(), error.Trim());
    }

    [Fact]
    public void Keygen_writes_a_0600_key_and_id_prints_the_same_peer_id()
    {
        string path = Path.Combine(_dir, "node.key");
        (int exit, string id, _) = Run("keygen", "--out", path);
        Assert.Equal(0, exit);
        Assert.True(PeerId.TryParse(id, out _, out _));
        Assert.Equal(KeyFile.Mode, File.GetUnixFileMode(path));
        Assert.Equal((0, id), (Run("id", "--key", path).Exit, Run("id", "--key", path).Out));
    }

    [Fact]
    public void Keygen_refuses_to_overwrite_without_force()
    {
        string path = Path.Combine(_dir, "node.key");
        string first = Run("keygen", "--out", path).Out;
        (int exit, _, string error) = Run("keygen", "--out", path);
        Assert.Equal(1, exit);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        (int forced, string second, _) = Run("keygen", "--out", path, "--force");
        Assert.Equal(0, forced);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Id_refuses_a_group_readable_key_with_path_and_mode()
    {
        string path = Path.Combine(_dir, "node.key");
        Run("keygen", "--out", path);
        File.SetUnixFileMode(path, KeyFile.Mode | UnixFileMode.GroupRead);
        (int exit, _, string error) = Run("id", "--key", path);
        Assert.Equal(1, exit);
        Assert.Contains(path, error, StringComparison.Ordinal);
        Assert.Contains("0640", error, StringComparison.Ordinal);
    }
}
