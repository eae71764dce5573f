using System.Text.Json;
using FedMesh.Node.Tests.Cli;
using FedMesh.Node.Configuration;
using FedMesh.Node.Privacy;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Privacy;

/// <summary>`fedmesh privacy` through the CLI entry point, on state directories laid out as the daemon lays them out.</summary>
public sealed class PrivacyCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fedmesh-privacy-cli-").FullName;

    public PrivacyCommandTests()
    {
        State = new StatePaths(Path.Combine(_root, "state"));
        Directory.CreateDirectory(State.Root);
        using NodeIdentity identity = KeyFile.Create(State.IdentityKey);
    }

    private StatePaths State { get; }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    private void Release(int count)
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(State.PrivacyLedger, PrivacyOptions.Default);
        for (int i = 0; i < count; i++)
        {
            Assert.True(ledger.ReserveRelease(new GaussianRelease(1.0, 4.0, 1.0, 1), $"c{i}").Granted);
        }
    }

    [Fact]
    public void Text_report_reads_the_daemons_ledger_file_against_the_nodes_default_budget()
    {
        Release(3);
        (int code, string output, string error) = Cli("privacy", "--state-dir", State.Root);
        Assert.True(code == 0, error);
        Assert.Contains(State.PrivacyLedger, output, StringComparison.Ordinal);
        Assert.DoesNotContain("absent", output, StringComparison.Ordinal);
        Assert.Contains("releases    3", output, StringComparison.Ordinal);
        // The node's configured budget (privacy.epsilon_budget defaults to 8), not the library's 10.
        Assert.Contains($"of {PrivacySection.Default.EpsilonBudget} at delta 1E-05", output, StringComparison.Ordinal);
        Assert.Contains("c2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_report_carries_status_and_every_entry()
    {
        Release(2);
        (int code, string output, _) = Cli("privacy", "--state-dir", State.Root, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(2, doc.RootElement.GetProperty("entries").GetArrayLength());
        Assert.Equal("Ok", doc.RootElement.GetProperty("status").GetProperty("state").GetString());
        Assert.True(doc.RootElement.GetProperty("status").GetProperty("spentEpsilon").GetDouble() > 0);
    }

    [Fact]
    public void Budget_delta_and_state_directory_come_from_the_configuration()
    {
        Release(2);
        string config = Path.Combine(_root, "fedmesh.toml");
        ConfigWriter.WriteDefault(config, new Dictionary<string, object>
        {
            ["node.state_dir"] = State.Root,
            ["privacy.epsilon_budget"] = 30.0,
            ["privacy.noise_multiplier"] = 4.0,
        });

        (int code, string output, string error) = Cli("privacy", "--config", config, "--json");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        JsonElement status = doc.RootElement.GetProperty("status");
        Assert.Equal(30.0, status.GetProperty("budgetEpsilon").GetDouble());
        Assert.True(doc.RootElement.GetProperty("dpEnabled").GetBoolean());

        // The next release is predicted at the configured σ = 4, C = 1: the ledger's own rule, so a fourth release of
        // that shape lands exactly there.
        double predicted = status.GetProperty("nextReleaseEpsilon").GetDouble();
        using PrivacyLedger ledger = PrivacyLedger.Open(State.PrivacyLedger, PrivacyOptions.Default with { BudgetEpsilon = 30 });
        Assert.Equal(predicted, ledger.ReserveRelease(new GaussianRelease(1.0, 4.0, 1.0, 1), "c3").Status.SpentEpsilon, 12);
    }

    [Fact]
    public void With_dp_off_the_report_says_so_instead_of_a_budget_state()
    {
        Release(1);
        string config = Path.Combine(_root, "fedmesh.toml");
        ConfigWriter.WriteDefault(config, new Dictionary<string, object> { ["node.state_dir"] = State.Root, ["privacy.level"] = "off" });

        (int code, string output, _) = Cli("privacy", "--config", config);

        Assert.Equal(0, code);
        Assert.Contains("off in the configuration", output, StringComparison.Ordinal);
        Assert.Contains("state       off", output, StringComparison.Ordinal);
        Assert.DoesNotContain("next release", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_that_released_nothing_yet_reports_absent_and_creates_nothing()
    {
        (int code, string output, _) = Cli("privacy", "--state-dir", State.Root);
        Assert.Equal(0, code);
        Assert.Contains("absent: nothing released yet", output, StringComparison.Ordinal);
        Assert.False(File.Exists(State.PrivacyLedger));
    }

    [Fact]
    public void A_state_directory_that_does_not_exist_is_an_error_naming_it()
    {
        string missing = Path.Combine(_root, "nope");
        (int code, string output, string error) = Cli("privacy", "--state-dir", missing);
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains($"state directory {missing} does not exist (from --state-dir)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_is_not_a_state_directory_is_an_error()
    {
        string other = Directory.CreateDirectory(Path.Combine(_root, "other")).FullName;
        (int code, _, string error) = Cli("privacy", "--state-dir", other);
        Assert.Equal(1, code);
        Assert.Contains("is not a node's state directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_an_error_naming_it()
    {
        string missing = Path.Combine(_root, "missing.toml");
        (int code, _, string error) = Cli("privacy", "--config", missing);
        Assert.Equal(1, code);
        Assert.Contains($"configuration file {missing} does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_ledger_exits_2_with_the_byte_offset()
    {
        Release(3);
        byte[] bytes = File.ReadAllBytes(State.PrivacyLedger);
        bytes[5] ^= 0x01;
        File.WriteAllBytes(State.PrivacyLedger, bytes);

        (int code, _, string error) = Cli("privacy", "--state-dir", State.Root);

        Assert.Equal(2, code);
        Assert.Contains("byte offset 0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ledger_cut_short_of_its_anchor_is_reported_truncated_with_exit_3_until_acknowledged()
    {
        Release(3);
        string[] lines = File.ReadAllLines(State.PrivacyLedger);
        File.WriteAllLines(State.PrivacyLedger, lines[..^1]);

        (int code, string output, _) = Cli("privacy", "--state-dir", State.Root);
        Assert.Equal(PrivacyCommand.TruncatedExitCode, code);
        Assert.Contains("runcated", output, StringComparison.Ordinal);

        (code, _, string error) = Cli("privacy", "--state-dir", State.Root, "--acknowledge-truncation");
        Assert.True(code == 0, error);
        (code, _, error) = Cli("privacy", "--state-dir", State.Root);
        Assert.True(code == 0, error);
    }

    [Fact]
    public void Invalid_delta_exits_1_naming_the_key()
    {
        (int code, _, string error) = Cli("privacy", "--state-dir", State.Root, "--delta", "5");
        Assert.Equal(1, code);
        Assert.Contains("privacy.budget_delta", error, StringComparison.Ordinal);
    }
}
