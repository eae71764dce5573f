using System.Text.Json;
using FedMesh.Node.Cli;
using FedMesh.Node.Hosting;

namespace FedMesh.Node.Tests.Cli;

public sealed class StatusPrivacyLineTests
{
    private static JsonElement Serialized(PrivacyStatus status) =>
        JsonDocument.Parse(JsonSerializer.Serialize(status, AdminServer.Json)).RootElement;

    [Fact]
    public void Status_says_off_instead_of_showing_an_epsilon_when_dp_is_off()
    {
        string line = NodeCommands.PrivacyLine(Serialized(new PrivacyStatus(false, 0, 0, 0, "off")));
        Assert.StartsWith("DP off", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ε", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_names_the_record_level_mechanism()
    {
        string line = NodeCommands.PrivacyLine(Serialized(new PrivacyStatus(true, 3.25, 8, 1e-5, "ok", "record", 0.59, 0.0173, 1, 10)));
        Assert.Equal("ε 3.250 of 8.000 (δ 1E-05), ok; record level (DP-SGD per document): σ 0.59, C 1, q 0.0173, 10 steps/round", line);
    }
}
