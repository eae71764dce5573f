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

    /// <summary>Sequence 1 of <paramref name="origin"/> in the test mesh, without DP.</summary>
    private static SignedDelta Signed(NodeIdentity origin, EncodedDelta encoded) =>
        SignedDelta.Create(origin.SigningKey, new DeltaHeader
        {
            MeshId = NodeRuntime.MeshIdFor("test"),
            BaseModelHash = new byte[32],
            Schema = Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);

    [Fact]
    public async Task Relay_only_nodes_over_loopback_tcp_deliver_a_signed_delta_to_every_node()
    {
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        using var c = NodeIdentity.Create();
        // Flood mode: relaying what was verified is what carries a's delta over b to c.
        GossipOptions flood = GossipOptions.Default with { Mode = GossipMode.Flood };
        await using var na = new NodeRuntime(Parts(a, 0) with { Gossip = flood }, Loggers);
        await na.StartAsync(CancellationToken.None);
        int pa = na.ListenEndPoint!.Port;
        await using var nb = new NodeRuntime(Parts(b, 0, pa) with { Gossip = flood }, Loggers);
        await nb.StartAsync(CancellationToken.None);
        await using var nc = new NodeRuntime(Parts(c, 0, nb.ListenEndPoint!.Port) with { Gossip = flood }, Loggers);
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
        SignedDelta delta = Signed(a, encoded);
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

            SignedDelta delta = Signed(a, encoded);
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
        // The per-round counters (netsim's sample) are GetStatus's values without its peer list.
        NodeCounters counters = na.GetCounters();
        Assert.Equal((status.Round, status.BytesIn, status.BytesOut, status.Peers.Count, status.Privacy.EpsilonSpent),
            (counters.Round, counters.BytesIn, counters.BytesOut, counters.Peers, counters.EpsilonSpent));

        // The counters take the running totals when the registry is collected (a scrape, here an export).
        await na.Metrics.ExportAsync(Stream.Null, timeout.Token);
        Assert.Equal(status.BytesOut, (long)na.Metrics.BytesOut.Value);
        Assert.Equal(status.BytesIn, (long)na.Metrics.BytesIn.Value);
    }

    [Theory]
    [InlineData(true, "exhausted")]
    [InlineData(false, "off")]
    public async Task Status_says_dp_is_off_instead_of_the_ledgers_old_budget_state(bool enabled, string state)
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-status-dp-").FullName;
        try
        {
            var options = FedMesh.Node.Privacy.PrivacyOptions.Default with { NoiseMultiplier = 1.0, BudgetEpsilon = 8 };
            using var ledger = FedMesh.Node.Privacy.PrivacyLedger.Open(Path.Combine(dir, "privacy.ledger"), options);
            Assert.True(ledger.ReserveRelease(options.DefaultRelease).Granted);
            Assert.True(ledger.ReserveRelease(options.DefaultRelease).Granted); // ε ≈ 7.09 of 8: the next would not fit
            using var id = NodeIdentity.Create();
            await using var runtime = new NodeRuntime(Parts(id, 0) with { Ledger = ledger, PrivacyEnabled = enabled }, Loggers);

            PrivacyStatus privacy = runtime.GetStatus().Privacy;

            Assert.Equal((enabled, state), (privacy.Enabled, privacy.State));
            Assert.Equal(ledger.GetStatus().SpentEpsilon, privacy.EpsilonSpent);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
