using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public class NodeRuntimeTests
{
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory Loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));

    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [300_000])]);

    private static NodeParts Parts(NodeIdentity id, int port, params int[] seeds) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor("test"), new byte[32], Schema),
        MeshName = "test",
        Listen = new IPEndPoint(IPAddress.Loopback, port),
        Seeds = seeds.Select(p => new Seed(new PeerAddress("127.0.0.1", p))).ToArray(),
        Gossip = GossipOptions.Default,
    };

    [Fact]
    public async Task Relay_only_nodes_over_loopback_tcp_deliver_a_signed_delta_to_every_node()
    {
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        using var c = NodeIdentity.Create();
        await using var na = new NodeRuntime(Parts(a, 0), Loggers);
        await na.StartAsync(CancellationToken.None);
        int pa = na.ListenEndPoint!.Port;
        await using var nb = new NodeRuntime(Parts(b, 0, pa), Loggers);
        await nb.StartAsync(CancellationToken.None);
        await using var nc = new NodeRuntime(Parts(c, 0, nb.ListenEndPoint!.Port), Loggers);
        await nc.StartAsync(CancellationToken.None);

        var atB = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        var atC = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        nb.DeltaArrived += (d, _) => atB.TrySetResult(d);
        nc.DeltaArrived += (d, _) => atC.TrySetResult(d);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (na.GetStatus().Peers.Count == 0 || nc.GetStatus().Peers.Count == 0)
        {
            await Task.Delay(50, timeout.Token);
        }

        float[] values = Enumerable.Range(0, 300_000).Select(i => (float)Math.Sin(i)).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, values, TensorEncoding.Float32);
        SignedDelta delta = SignedDelta.Create(a.SigningKey, new DeltaHeader
        {
            MeshId = NodeRuntime.MeshIdFor("test"),
            BaseModelHash = new byte[32],
            Schema = Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);
        await na.PublishAsync(delta, encoded.Payload);

        StoredDelta gotB = await atB.Task.WaitAsync(timeout.Token);
        StoredDelta gotC = await atC.Task.WaitAsync(timeout.Token);
        Assert.True(gotB.Payload.Span.SequenceEqual(encoded.Payload.Span));
        Assert.True(gotC.Payload.Span.SequenceEqual(encoded.Payload.Span));
        Assert.Equal(Convert.ToHexStringLower(delta.ContentId), gotC.ContentIdHex);
    }

    [Fact]
    public async Task Status_counts_wire_bytes_of_closed_connections_as_metrics_does()
    {
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        await using var na = new NodeRuntime(Parts(a, 0), Loggers);
        await na.StartAsync(CancellationToken.None);
        var atB = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        float[] values = Enumerable.Range(0, 300_000).Select(i => (float)Math.Cos(i)).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, values, TensorEncoding.Float32);
        await using (var nb = new NodeRuntime(Parts(b, 0, na.ListenEndPoint!.Port), Loggers))
        {
            nb.DeltaArrived += (d, _) => atB.TrySetResult(d);
            await nb.StartAsync(CancellationToken.None);
            while (na.GetStatus().Peers.Count == 0)
            {
                await Task.Delay(50, timeout.Token);
            }

            SignedDelta delta = SignedDelta.Create(a.SigningKey, new DeltaHeader
            {
                MeshId = NodeRuntime.MeshIdFor("test"),
                BaseModelHash = new byte[32],
                Schema = Schema,
                Sequence = 1,
                Timestamp = DateTimeOffset.UtcNow,
                Privacy = new DpParameters(0, 0, null),
            }, encoded);
            await na.PublishAsync(delta, encoded.Payload);
            await atB.Task.WaitAsync(timeout.Token);
        }

        // b is gone: a's only connection is closed, and what went over it still counts.
        while (na.GetStatus().Peers.Count > 0)
        {
            await Task.Delay(50, timeout.Token);
        }

        NodeStatus status = na.GetStatus();
        Assert.True(status.BytesOut >= encoded.Payload.Length, $"bytes_out {status.BytesOut} < payload {encoded.Payload.Length}");
        Assert.True(status.BytesIn > 0, "bytes_in is 0 after b pulled the delta");
        Assert.Equal(status.BytesOut, (long)na.Metrics.BytesOut.Value);
        Assert.Equal(status.BytesIn, (long)na.Metrics.BytesIn.Value);
    }
}
