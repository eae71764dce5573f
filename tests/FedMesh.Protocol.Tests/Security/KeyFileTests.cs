using FedMesh.Protocol.Identity;

namespace FedMesh.Protocol.Tests.Security;

/// <summary>Key files rely on Unix permissions (the product ships for linux-x64 only).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-keyfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_created_key_file_is_mode_0600_and_loads_the_same_identity()
    {
        string path = Path.Combine(_dir, "node.key");
        using NodeIdentity created = KeyFile.Create(path);
        Assert.Equal(KeyFile.Mode, File.GetUnixFileMode(path));
        using NodeIdentity loaded = KeyFile.Load(path);
        Assert.Equal(created.PeerId, loaded.PeerId);
        Assert.Matches("^fedmesh-ed25519-v1 [0-9a-f]{64}\n$", File.ReadAllText(path));
    }

    [Fact]
    public void Create_refuses_to_overwrite_unless_forced()
    {
        string path = Path.Combine(_dir, "node.key");
        using NodeIdentity first = KeyFile.Create(path);
        Assert.Throws<IOException>(() => KeyFile.Create(path));
        using NodeIdentity second = KeyFile.Create(path, overwrite: true);
        Assert.NotEqual(first.PeerId, second.PeerId);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    public void A_group_or_other_accessible_key_file_is_refused_naming_path_and_mode(UnixFileMode extra)
    {
        string path = Path.Combine(_dir, "node.key");
        using (KeyFile.Create(path))
        {
        }

        File.SetUnixFileMode(path, KeyFile.Mode | extra);
        var e = Assert.Throws<KeyFileException>(() => KeyFile.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(KeyFile.FormatMode(KeyFile.Mode | extra), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "does not start with")]
    [InlineData("fedmesh-ed25519-v1 abcd\n", "64 hex digits")]
    [InlineData("fedmesh-ed25519-v1 zz000000000000000000000000000000000000000000000000000000000000\n", "64 hex digits")]
    public void A_malformed_key_file_is_refused_with_a_reason(string content, string expected)
    {
        string path = Path.Combine(_dir, "bad.key");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, KeyFile.Mode);
        var e = Assert.Throws<KeyFileException>(() => KeyFile.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_key_file_is_refused_with_a_hint()
    {
        var e = Assert.Throws<KeyFileException>(() => KeyFile.Load(Path.Combine(_dir, "missing.key")));
        Assert.Contains("fedmesh keygen", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Signatures_verify_only_for_the_signed_data_and_key()
    {
        using NodeIdentity id = NodeIdentity.FromSeed(new byte[32]);
        byte[] sig = id.Sign([1, 2, 3]);
        Assert.True(NodeIdentity.Verify(id.PublicKey, [1, 2, 3], sig));
        Assert.False(NodeIdentity.Verify(id.PublicKey, [1, 2, 4], sig));
        Assert.False(NodeIdentity.Verify(new byte[31], [1, 2, 3], sig));
        Assert.False(NodeIdentity.Verify(id.PublicKey, [1, 2, 3], sig[..63]));
    }
}
