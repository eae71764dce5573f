using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Containers;

namespace FedMesh.Containers.Tests;

/// <summary>One node container: its Prometheus metrics (through the published metrics port), its logs, and fedmesh
/// commands run inside it (status, audit verify, privacy).</summary>
public sealed partial class MeshNode(string name, IContainer container) : IAsyncDisposable
{
    /// <summary>The node's metrics port in the image (metrics.listen of its default configuration).</summary>
    public const int MetricsPort = 9464;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string Name { get; } = name;

    public IContainer Container { get; } = container;

    /// <summary>Unlabelled series of /metrics by name; labelled ones under their full "name{labels}".</summary>
    public async Task<Dictionary<string, double>?> MetricsAsync()
    {
        try
        {
            var uri = new Uri($"http://{Container.Hostname}:{Container.GetMappedPublicPort(MetricsPort)}/metrics");
            string text = await Http.GetStringAsync(uri);
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (string line in text.Split('\n'))
            {
                int space = line.LastIndexOf(' ');
                if (line.Length == 0 || line[0] == '#' || space < 0)
                {
                    continue;
                }

                if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                {
                    values[line[..space]] = value;
                }
            }

            return values;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or ArgumentException)
        {
            // Not serving (starting, killed, disconnected from the network that publishes its port).
            return null;
        }
    }

    /// <summary>Polls the metrics until <paramref name="done"/> holds; fails with the node's log on timeout.</summary>
    public async Task<Dictionary<string, double>> WaitForAsync(Func<Dictionary<string, double>, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await MetricsAsync() is { } metrics && done(metrics))
            {
                return metrics;
            }

            await Task.Delay(1000);
        }

        Assert.Fail($"{Name}: no {what} after {timeout}; log:\n{await LogsAsync()}");
        throw new UnreachableException();
    }

    /// <summary>`fedmesh ARGS` inside the container (its default configuration is /etc/fedmesh/fedmesh.toml).</summary>
    public async Task<ExecResult> FedmeshAsync(params string[] args) => await Container.ExecAsync(["/opt/fedmesh/fedmesh", .. args]);

    /// <summary>`fedmesh status --json`, read through the admin endpoint on the container's loopback.</summary>
    public async Task<JsonElement?> StatusAsync()
    {
        ExecResult result = await FedmeshAsync("status", "--json");
        return result.ExitCode == 0 ? JsonDocument.Parse(result.Stdout).RootElement.Clone() : null;
    }

    /// <summary>Polls `fedmesh status` until <paramref name="done"/> holds (for a node whose metrics port is not published).</summary>
    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await StatusAsync() is { } status && done(status))
            {
                return status;
            }

            await Task.Delay(2000);
        }

        Assert.Fail($"{Name}: no {what} after {timeout}; log:\n{await LogsAsync()}");
        throw new UnreachableException();
    }

    public async Task<string> LogsAsync()
    {
        (string stdout, string stderr) = await Container.GetLogsAsync();
        return stdout + stderr;
    }

    /// <summary>The peer id the node logged when it started listening.</summary>
    public async Task<string> PeerIdAsync() =>
        ListeningLine().Match(await LogsAsync()) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"{Name} logged no peer id yet");

    [GeneratedRegex(@"Node ([a-z2-7]+) listening on")]
    private static partial Regex ListeningLine();

    public ValueTask DisposeAsync() => Container.DisposeAsync();
}
