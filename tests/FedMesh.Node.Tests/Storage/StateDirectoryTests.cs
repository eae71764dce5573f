using System.Diagnostics;
using System.Runtime.Versioning;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Tests.Storage;

/// <summary>Unix permission and flock behaviour; the node ships for linux-x64 only.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class StateDirectoryTests
{
    [Fact]
    public void Open_creates_the_directory_and_checkpoints_folder_with_mode_0700()
    {
        using var temp = new TempDir();
        string root = temp.Combine("state");

        using StateDirectory state = StateDirectory.Open(root);

        Assert.Equal(StateDirectory.DirectoryMode, File.GetUnixFileMode(root));
        Assert.Equal(StateDirectory.DirectoryMode, File.GetUnixFileMode(state.Paths.Checkpoints));
        Assert.True(File.Exists(state.Paths.Lock));
        Assert.Equal(StateDirectory.FileMode, File.GetUnixFileMode(state.Paths.Lock));
    }

    [Fact]
    public void Open_tightens_an_existing_world_readable_directory()
    {
        using var temp = new TempDir();
        string root = temp.Combine("state");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);

        using StateDirectory state = StateDirectory.Open(root);

        Assert.Equal(StateDirectory.DirectoryMode, File.GetUnixFileMode(root));
    }

    [Fact]
    public void The_layout_names_every_state_file()
    {
        var paths = new StatePaths("/var/lib/fedmesh");
        Assert.Equal(
            ["/var/lib/fedmesh/identity.key", "/var/lib/fedmesh/base.ref", "/var/lib/fedmesh/checkpoints", "/var/lib/fedmesh/peers.json",
             "/var/lib/fedmesh/privacy.ledger", "/var/lib/fedmesh/audit.log", "/var/lib/fedmesh/trust.json", "/var/lib/fedmesh/lock"],
            [paths.IdentityKey, paths.BaseRef, paths.Checkpoints, paths.Peers, paths.PrivacyLedger, paths.AuditLog, paths.Trust, paths.Lock]);
    }

    [Fact]
    public void A_second_open_of_a_locked_directory_fails_with_a_clear_message_until_the_first_is_disposed()
    {
        using var temp = new TempDir();
        string root = temp.Combine("state");

        StateDirectory first = StateDirectory.Open(root);
        var ex = Assert.Throws<StateDirectoryException>(() => StateDirectory.Open(root));
        Assert.Contains("in use by another fedmesh process", ex.Message, StringComparison.Ordinal);
        Assert.Contains(root, ex.Message, StringComparison.Ordinal);

        first.Dispose();
        using StateDirectory second = StateDirectory.Open(root);
    }

    [Fact]
    public void Another_process_sees_the_lock_as_held()
    {
        using var temp = new TempDir();
        using StateDirectory state = StateDirectory.Open(temp.Combine("state"));

        // flock(1) from util-linux takes the same kind of lock; -n fails at once (exit 1) when it is held.
        Assert.Equal(1, RunFlock(state.Paths.Lock));
        state.Dispose();
        Assert.Equal(0, RunFlock(state.Paths.Lock));
    }

    private static int RunFlock(string lockPath)
    {
        var start = new ProcessStartInfo("flock", ["-n", lockPath, "true"]) { RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
