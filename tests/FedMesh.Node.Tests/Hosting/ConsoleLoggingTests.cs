using FedMesh.Node.Hosting;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>Issue 17: the console log format comes from Logging:Console:FormatterName when set, else node.log_format.</summary>
public sealed class ConsoleLoggingTests
{
    [Theory]
    [InlineData(null, "simple", "simple")]
    [InlineData("", "json", "json")]
    [InlineData("json", "simple", "json")]
    [InlineData("JSON", "simple", "json")]
    [InlineData(" systemd ", "json", "systemd")]
    public void The_host_setting_wins_over_the_configuration_key(string? host, string configured, string expected)
    {
        Assert.Equal(expected, ConsoleLogging.Resolve(host, configured, out string? problem));
        Assert.Null(problem);
    }

    [Fact]
    public void An_unknown_host_setting_is_an_error_naming_the_variable_and_the_choices()
    {
        Assert.Null(ConsoleLogging.Resolve("xml", "simple", out string? problem));
        Assert.Contains("Logging__Console__FormatterName", problem, StringComparison.Ordinal);
        Assert.Contains("\"xml\"", problem, StringComparison.Ordinal);
        Assert.Contains("json", problem, StringComparison.Ordinal);
    }
}
