using System.Net;
using System.Text.Json;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Metrics;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>Issue 17: /healthz (liveness) and /readyz (readiness) on the admin endpoint, and fedmesh_ready.</summary>
public sealed class HealthEndpointTests
{
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [16])]);

    [Theory]
    [InlineData(true, true, true, false, null, 200, 200)]
    [InlineData(false, true, true, false, null, 200, 503)]
    [InlineData(true, true, true, true, null, 200, 503)]
    [InlineData(true, true, false, false, null, 200, 503)]
    [InlineData(true, true, true, false, "round loop: boom", 503, 503)]
    public async Task Each_check_decides_liveness_and_readiness_and_the_body_names_it(
        bool started, bool listening, bool model, bool stopping, string? fault, int live, int ready)
    {
        var health = new NodeHealth(started, listening, model, stopping, fault);
        await using var server = new AdminServer(new IPEndPoint(IPAddress.Loopback, 0), new NodeMetrics(), status: null, NullLoggerFactory.Instance) { Health = () => health };
        await server.StartAsync(CancellationToken.None);
        using var http = new HttpClient();

        using HttpResponseMessage healthz = await http.GetAsync(new Uri(server.Url + "/healthz"));
        using HttpResponseMessage readyz = await http.GetAsync(new Uri(server.Url + "/readyz"));

        Assert.Equal(live, (int)healthz.StatusCode);
        Assert.Equal(ready, (int)readyz.StatusCode);
        JsonElement body = JsonDocument.Parse(await readyz.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(ready == 200 ? "ok" : "unavailable", body.GetProperty("status").GetString());
        Assert.Equal(started, body.GetProperty("started").GetBoolean());
        Assert.Equal(stopping, body.GetProperty("stopping").GetBoolean());
        Assert.Equal(fault, body.GetProperty("fault").GetString());
    }

    [Fact]
    public async Task A_started_node_is_live_and_ready_and_says_so_in_its_metrics()
    {
        using var id = NodeIdentity.Create();
        var parts = new NodeParts
        {
            Identity = id,
            Mesh = new LocalMesh(NodeRuntime.MeshIdFor("health"), new byte[32], Schema),
            MeshName = "health",
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            AdminListen = new IPEndPoint(IPAddress.Loopback, 0),
            Gossip = GossipOptions.Default,
        };
        await using var node = new NodeRuntime(parts, NullLoggerFactory.Instance);
        Assert.False(node.IsReady);
        Assert.Equal(0, node.Metrics.Ready.Value);

        await node.StartAsync(CancellationToken.None);
        using var http = new HttpClient();
        using HttpResponseMessage healthz = await http.GetAsync(new Uri($"http://{node.AdminEndPoint}/healthz"));
        using HttpResponseMessage readyz = await http.GetAsync(new Uri($"http://{node.AdminEndPoint}/readyz"));

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal(1, node.Metrics.Ready.Value);

        await node.StopAsync();
        Assert.False(node.GetHealth().Ready);
        Assert.True(node.GetHealth().Stopping);
        Assert.Equal(0, node.Metrics.Ready.Value);
    }
}
