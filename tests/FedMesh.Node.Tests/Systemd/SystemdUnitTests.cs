using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using FedMesh.Node.Tests.Storage;

namespace FedMesh.Node.Tests.Systemd;

/// <summary>systemd units are Linux-only.</summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class SystemdUnitTests
{
    private const string InstalledBinary = "/usr/local/bin/fedmesh";

    /// <summary>
    /// systemd-analyze verify checks that ExecStart's binary exists and is executable, and fedmesh is not installed
    /// on a build machine: verify a copy whose ExecStart points at an executable stand-in in a temp folder.
    /// </summary>
    private static string CopyWithStandInBinary(TempDir temp)
    {
        string standIn = temp.Combine("fedmesh");
        File.WriteAllText(standIn, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string unit = File.ReadAllText(Path.Combine(SystemdAnalyze.UnitFolder(), "fedmesh.service"));
        Assert.Contains($"ExecStart={InstalledBinary} run --config /etc/fedmesh/fedmesh.toml", unit, StringComparison.Ordinal);
        string copy = temp.Combine("fedmesh.service");
        File.WriteAllText(copy, unit.Replace($"ExecStart={InstalledBinary} ", $"ExecStart={standIn} ", StringComparison.Ordinal));
        return copy;
    }

    [SystemdFact]
    public void The_unit_passes_systemd_analyze_verify()
    {
        using var temp = new TempDir();
        string copy = CopyWithStandInBinary(temp);

        (int exit, string output) = SystemdAnalyze.Run("verify", copy);

        Assert.True(exit == 0, output);
        Assert.DoesNotContain("fedmesh.service:", output, StringComparison.Ordinal);
    }

    [SystemdFact]
    public void The_unit_has_an_offline_exposure_score_of_at_most_2()
    {
        using var temp = new TempDir();
        string copy = CopyWithStandInBinary(temp);

        (int exit, string output) = SystemdAnalyze.Run("security", "--offline=true", "--no-pager", copy);

        Match score = ExposurePattern().Match(output);
        Assert.True(score.Success, $"exit {exit}, no exposure level in output:\n{output}");
        double exposure = double.Parse(score.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.0, $"exposure {exposure} > 2.0:\n{output}");
    }

    [Fact]
    public void The_unit_does_not_set_MemoryDenyWriteExecute_which_breaks_the_dotnet_jit()
    {
        string[] lines = File.ReadAllLines(Path.Combine(SystemdAnalyze.UnitFolder(), "fedmesh.service"));
        Assert.DoesNotContain(lines, l => l.StartsWith("MemoryDenyWriteExecute", StringComparison.Ordinal));
        Assert.Contains("Type=notify", lines);
        Assert.Contains("User=fedmesh", lines);
        Assert.Contains("StateDirectory=fedmesh", lines);
        Assert.Contains("StateDirectoryMode=0700", lines);
    }

    [Fact]
    public void Sysusers_and_tmpfiles_create_the_fedmesh_user_and_a_0700_state_directory()
    {
        string folder = SystemdAnalyze.UnitFolder();
        string[] users = Entries(Path.Combine(folder, "sysusers.d", "fedmesh.conf"));
        Assert.Contains(users, l => Regex.IsMatch(l, @"^u\s+fedmesh\s+-\s"));
        string[] dirs = Entries(Path.Combine(folder, "tmpfiles.d", "fedmesh.conf"));
        Assert.Contains(dirs, l => Regex.IsMatch(l, @"^d\s+/var/lib/fedmesh\s+0700\s+fedmesh\s+fedmesh\s"));
    }

    private static string[] Entries(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+(?:\.\d+)?)")]
    private static partial Regex ExposurePattern();
}
