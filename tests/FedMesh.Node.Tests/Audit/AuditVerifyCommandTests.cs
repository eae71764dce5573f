using FedMesh.Node.Tests.Storage;

namespace FedMesh.Node.Tests.Audit;

public sealed class AuditVerifyCommandTests
{
    private static (int Exit, string Output, string Error) Invoke(params string[] args) => Cli.CliRunner.Run(["audit", "verify", .. args]);

    [Fact]
    public void An_intact_log_exits_0()
    {
        using var temp = new TempDir();
        string path = AuditLogTests.WriteLog(temp, 3);

        (int exit, string output, _) = Invoke("--file", path);

        Assert.Equal(0, exit);
        Assert.Contains("intact, 3 entries", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_state_dir_option_finds_audit_log_inside_it()
    {
        using var temp = new TempDir();
        AuditLogTests.WriteLog(temp, 2);

        (int exit, string output, _) = Invoke("--state-dir", temp.Path);

        Assert.Equal(0, exit);
        Assert.Contains("intact, 2 entries", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_log_exits_1_and_names_the_line()
    {
        using var temp = new TempDir();
        string path = AuditLogTests.WriteLog(temp, 4);
        string[] lines = File.ReadAllLines(path);
        lines[2] = lines[2].Replace("\"seq\":3", "\"seq\":33", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        (int exit, string output, _) = Invoke("--file", path);

        Assert.Equal(1, exit);
        Assert.Contains("BROKEN at line 3: hash mismatch", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_last_line_exits_1()
    {
        using var temp = new TempDir();
        string path = AuditLogTests.WriteLog(temp, 2);
        File.AppendAllText(path, "{\"time\":");

        (int exit, string output, _) = Invoke("--file", path);

        Assert.Equal(1, exit);
        Assert.Contains("BROKEN at line 3: torn last line", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_missing_its_last_line_exits_1_as_truncated()
    {
        using var temp = new TempDir();
        string path = AuditLogTests.WriteLog(temp, 3);
        File.WriteAllLines(path, File.ReadAllLines(path)[..^1]);

        (int exit, string output, _) = Invoke("--file", path);

        Assert.Equal(1, exit);
        Assert.Contains("TRUNCATED at line 3: truncated: the log holds 2 record(s) but its anchor recorded 3", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--file", "/nonexistent/fedmesh/audit.log")]
    [InlineData("--file", "a", "--state-dir", "b")]
    [InlineData("--file")]
    [InlineData("--file", "a", "extra")]
    public void Usage_and_io_errors_exit_2(params string[] args)
    {
        (int exit, _, string error) = Invoke(args);

        Assert.Equal(2, exit);
        Assert.StartsWith("fedmesh audit verify:", error, StringComparison.Ordinal);
    }
}
