using FedMesh.Node.Configuration;
using FedMesh.Node.Tests.Cli;

namespace FedMesh.Node.Tests.Data;

/// <summary>`fedmesh data check` through the CLI entry point: the node's redaction, skips with their place, --show.</summary>
public sealed class DataCheckCommandTests : IDisposable
{
    private readonly TempFolder _data = new();
    private readonly string _configDir = Directory.CreateTempSubdirectory("fedmesh-datacheck-").FullName;

    public void Dispose()
    {
        _data.Dispose();
        Directory.Delete(_configDir, recursive: true);
    }

    private string Config(IReadOnlyDictionary<string, object>? extra = null)
    {
        var overrides = new Dictionary<string, object> { ["data.folder"] = _data.Path };
        foreach ((string key, object value) in extra ?? new Dictionary<string, object>())
        {
            overrides[key] = value;
        }

        string path = Path.Combine(_configDir, "fedmesh.toml");
        ConfigWriter.WriteDefault(path, overrides);
        return path;
    }

    [Fact]
    public void The_configured_patterns_and_dropped_fields_apply_and_show_prints_the_redacted_text()
    {
        string filler = string.Concat(Enumerable.Repeat("Plenty of ordinary training text. ", 20));
        _data.Write("a.txt", $"Customer CUST-88121 wrote from Boston, MA 02110-1301. {filler}");
        _data.Write("b.jsonl", "{\"text\":\"first note " + filler + "\",\"email\":\"SECRET-FIELD\"}\n{\"text\":\"second\"}\n{not json}\n");
        string config = Config(new Dictionary<string, object>
        {
            ["data.redaction_patterns"] = new[] { "CUST-[0-9]+" },
            ["data.drop_json_fields"] = new[] { "email" },
        });

        (int exit, string output, string error) = CliRunner.Run("data", "check", "--config", config, "--show", "5");

        Assert.True(exit == 0, error);
        Assert.Contains($"redaction   {config}: built-in rules on, 1 pattern(s), 1 dropped JSON field(s)", output, StringComparison.Ordinal);
        Assert.Contains("Customer [REDACTED] wrote from Boston, MA 02110-1301.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("CUST-88121", output, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-FIELD", output, StringComparison.Ordinal);
        Assert.Contains("skipped     b.jsonl:3: MalformedJson", output, StringComparison.Ordinal);
        Assert.Contains("--- b.jsonl:2", output, StringComparison.Ordinal);
        Assert.Contains("split       train ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_the_node_could_not_train_on_is_a_warning_and_exit_1()
    {
        _data.Write("tiny.txt", "just a few words");
        string config = Config();

        (int exit, _, string error) = CliRunner.Run("data", "check", "--config", config);

        Assert.Equal(1, exit);
        Assert.Contains($"warning: data.folder {_data.Path}: the training split holds", error, StringComparison.Ordinal);
    }

    [Fact]
    public void One_document_is_enough_when_it_holds_enough_text()
    {
        _data.Write("only.txt", string.Concat(Enumerable.Repeat("A single long document from a small lab. ", 50)));

        (int exit, string output, string error) = CliRunner.Run("data", "check", _data.Path, "--config", Config());

        Assert.True(exit == 0, error);
        Assert.Contains("each document is cut, its tail held out", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        string missing = Path.Combine(_data.Path, "nope");
        (int exit, _, string error) = CliRunner.Run("data", "check", missing, "--config", Config());
        Assert.Equal(2, exit);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }
}
