using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// Issue 17, on a real <c>fedmesh run</c>: JSON console logs chosen by configuration, the systemd start-timeout
/// extension over a fake NOTIFY_SOCKET (the sd_notify datagram protocol, without systemd as PID 1), /healthz and
/// /readyz, and build info in the metrics.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonOpsTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    [Fact]
    public async Task Json_logs_from_the_configuration_start_timeout_extended_over_notify_socket_health_and_build_info()
    {
        string socketPath = Path.Combine(lab.Root, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        using Daemon d = lab.Node("ops-json", 0, maxRounds: 0, new Dictionary<string, object> { ["node.log_format"] = "json" });
        d.Env["NOTIFY_SOCKET"] = socketPath;
        d.Start();

        await d.WaitForAsync(_ => true, DaemonLab.Patience, "/status");
        output.WriteLine(d.Output);

        // sd_notify: one datagram of newline-separated assignments, sent while the node was being assembled.
        var buffer = new byte[4096];
        notify.ReceiveTimeout = 5000;
        string first = Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer));
        Assert.StartsWith("EXTEND_TIMEOUT_USEC=30000000\nSTATUS=loading the base model", first, StringComparison.Ordinal);

        Assert.Equal("ok", JsonDocument.Parse(await d.GetAsync(d.AdminPort, "/healthz")).RootElement.GetProperty("status").GetString());
        JsonElement ready = JsonDocument.Parse(await d.GetAsync(d.AdminPort, "/readyz")).RootElement;
        Assert.Equal("ok", ready.GetProperty("status").GetString());
        string metrics = await d.GetAsync(d.AdminPort, "/metrics");
        Assert.Contains("fedmesh_build_info{version=\"", metrics, StringComparison.Ordinal);
        Assert.Contains("fedmesh_ready 1", metrics, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", metrics, StringComparison.Ordinal);

        // Every log line is one JSON object with the event's id, category and named values.
        string[] lines = d.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        JsonElement[] events = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        JsonElement listening = Assert.Single(events, e => e.GetProperty("Message").GetString()!.Contains("listening", StringComparison.OrdinalIgnoreCase) && e.GetProperty("Category").GetString() == "FedMesh.Node");
        Assert.True(listening.GetProperty("EventId").GetInt32() > 0);
        Assert.True(listening.TryGetProperty("State", out _));
        Assert.EndsWith("Z", events[0].GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
        d.Kill();
    }

    [Fact]
    public async Task An_unknown_formatter_in_the_environment_stops_the_start_naming_the_variable()
    {
        using Daemon d = lab.Node("ops-badlog", 0, maxRounds: 0);
        d.Env["Logging__Console__FormatterName"] = "xml";
        d.Start();

        Assert.True(await d.WaitForExitAsync(DaemonLab.Patience), d.Output);
        Assert.Equal(2, d.ExitCode);
        Assert.Contains("fedmesh run: Logging:Console:FormatterName (environment Logging__Console__FormatterName) is \"xml\"", d.Output, StringComparison.Ordinal);
    }
}
