using System.Text.Json;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Tests.Privacy;

public sealed class PrivacyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-privacy-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(bool json, PrivacyOptions? options = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = PrivacyCommand.Run(_dir, json, options ?? PrivacyOptions.Default, 20, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private void Release(int count)
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(Path.Combine(_dir, PrivacyLedger.FileName), PrivacyOptions.Default);
        for (int i = 0; i < count; i++)
        {
            Assert.True(ledger.ReserveRelease(new GaussianRelease(1.0, 4.0, 1.0, 1), $"c{i}").Granted);
        }
    }

    [Fact]
    public void Text_report_shows_releases_and_epsilon_against_the_budget()
    {
        Release(3);
        (int code, string output, _) = Run(json: false);
        Assert.Equal(0, code);
        Assert.Contains("releases    3", output, StringComparison.Ordinal);
        Assert.Contains("of 10 at delta 1E-05", output, StringComparison.Ordinal);
        Assert.Contains("c2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_report_carries_status_and_every_entry()
    {
        Release(2);
        (int code, string output, _) = Run(json: true);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(2, doc.RootElement.GetProperty("entries").GetArrayLength());
        Assert.Equal("Ok", doc.RootElement.GetProperty("status").GetProperty("state").GetString());
        Assert.True(doc.RootElement.GetProperty("status").GetProperty("spentEpsilon").GetDouble() > 0);
    }

    [Fact]
    public void Missing_ledger_reports_nothing_released_and_creates_nothing()
    {
        (int code, string output, _) = Run(json: false);
        Assert.Equal(0, code);
        Assert.Contains("absent", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, PrivacyLedger.FileName)));
    }

    [Fact]
    public void Corrupt_ledger_exits_2_with_the_byte_offset()
    {
        Release(3);
        string path = Path.Combine(_dir, PrivacyLedger.FileName);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[5] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        (int code, _, string error) = Run(json: false);

        Assert.Equal(2, code);
        Assert.Contains("byte offset 0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_budget_exits_1_naming_the_key()
    {
        (int code, _, string error) = Run(json: false, PrivacyOptions.Default with { BudgetDelta = 5 });
        Assert.Equal(1, code);
        Assert.Contains("privacy.budget_delta", error, StringComparison.Ordinal);
    }
}
