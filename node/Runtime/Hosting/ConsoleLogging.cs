using FedMesh.Node.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The daemon's console logging: the format is the host setting <c>Logging:Console:FormatterName</c> (environment
/// <c>Logging__Console__FormatterName</c>, the .NET convention operators know) when set, else <c>node.log_format</c>
/// of fedmesh.toml (or <c>FEDMESH_NODE__LOG_FORMAT</c>). Before this, AddSimpleConsole pinned the formatter to
/// "simple", so <c>Logging:Console:FormatterName = json</c> was read and then overridden.
/// </summary>
public static class ConsoleLogging
{
    /// <summary>The host configuration key .NET's console logger reads its formatter from.</summary>
    public const string FormatterKey = "Logging:Console:FormatterName";

    /// <summary>The formatter to use, or why the host setting is not one (null format then).</summary>
    public static string? Resolve(string? hostSetting, string configured, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(hostSetting))
        {
            return configured;
        }

        string name = hostSetting.Trim();
        string? known = NodeSection.KnownLogFormats.FirstOrDefault(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));
        if (known is null)
        {
            problem = $"{FormatterKey} (environment Logging__Console__FormatterName) is \"{name}\"; it must be one of {string.Join(", ", NodeSection.KnownLogFormats)}";
        }

        return known;
    }

    /// <summary>Console logging in <paramref name="format"/>: UTC ISO-8601 timestamps in JSON (log shippers order
    /// and correlate by them), a short local time on a terminal line.</summary>
    public static ILoggingBuilder AddNodeConsole(this ILoggingBuilder logging, string format)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.AddConsole(o => o.FormatterName = format);
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        return logging;
    }

    /// <summary>The host setting, as the host's configuration (environment variables, appsettings) gives it.</summary>
    public static string? HostSetting(IConfiguration configuration) => configuration[FormatterKey];
}
