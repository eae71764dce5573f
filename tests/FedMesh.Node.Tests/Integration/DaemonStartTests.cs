using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Integration;

/// <summary>
/// Starting real daemons (issue 11): a port clash exits with one line naming the key and address and exit code 1,
/// never a signal (it was SIGSEGV, 139, in 6 of 7 tries); every admin address that validation accepts is served.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class DaemonStartTests(DaemonLab lab, ITestOutputHelper output) : IClassFixture<DaemonLab>
{
    [Theory]
    [InlineData("admin.listen")]
    [InlineData("network.listen_port")]
    public async Task A_port_clash_exits_with_code_1_and_one_line_naming_the_key_and_the_address(string key)
    {
        // The clashing port is held by this test for its whole duration (bound to port 0, never released).
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        using Daemon d = lab.Node("clash-" + key.Replace('.', '-'), 0, maxRounds: 0);
        d.Configure(new Dictionary<string, object> { [key] = key == "admin.listen" ? $"127.0.0.1:{taken}" : taken });
        d.Start();

        Assert.True(await d.WaitForExitAsync(DaemonLab.Patience), $"the node did not exit:\n{d.Output}");
        output.WriteLine(d.Output);
        Assert.Equal(1, d.ExitCode);
        string[] lines = d.Output.Split('\n');
        string error = Assert.Single(lines, l => l.StartsWith("fedmesh run:", StringComparison.Ordinal));
        Assert.Contains(key == "admin.listen" ? "admin.listen" : "network.listen", error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{taken}", error, StringComparison.Ordinal);
        Assert.Contains("in use", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.0.0.0:0")]
    [InlineData("[::]:0")]
    [InlineData("localhost:0")]
    public async Task Every_admin_address_that_validation_accepts_is_served(string listen)
    {
        using Daemon d = lab.Node("admin-" + listen.Replace(':', '-').Replace('[', '-').Replace(']', '-').Replace('.', '-'), 0, maxRounds: 0);
        d.Configure(new Dictionary<string, object> { ["admin.listen"] = listen, ["network.listen_address"] = "::" });
        d.Start();
        JsonElement status = await d.WaitForAsync(_ => true, DaemonLab.Patience, "/status on " + listen);
        Assert.Equal(d.PeerId, status.GetProperty("peer_id").GetString());
        // "::" is dual-stack: the node's gossip port takes IPv4 connections too.
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, d.Port);
        d.Kill();
    }
}
