using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Transport;

/// <summary>The runtime's transport seam: in-memory pipes carry the same handshake and frames as TCP.</summary>
public class InMemoryTransportTests
{
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [50_000])]);

    [Fact]
    public async Task Bytes_written_at_one_end_are_read_at_the_other_and_closing_ends_the_stream()
    {
        var network = new InMemoryNetwork();
        using ITransportListener listener = network.Host(IPAddress.Parse("10.0.0.1")).Listen(new IPEndPoint(IPAddress.Any, 0));
        await using TransportConnection client = await network.Host(IPAddress.Parse("10.0.0.2")).ConnectAsync(listener.LocalEndPoint, CancellationToken.None);
        await using TransportConnection server = await listener.AcceptAsync(CancellationToken.None);

        Assert.Equal(IPAddress.Parse("10.0.0.2"), server.RemoteEndPoint!.Address);
        Assert.Equal(listener.LocalEndPoint, client.RemoteEndPoint);
        await client.Pipe.Output.WriteAsync(new byte[] { 1, 2, 3 });
        ReadResult read = await server.Pipe.Input.ReadAsync();
        Assert.Equal(new byte[] { 1, 2, 3 }, read.Buffer.ToArray());
        server.Pipe.Input.AdvanceTo(read.Buffer.End);

        await client.DisposeAsync();
        read = await server.Pipe.Input.ReadAsync();
        Assert.True(read.IsCompleted);
    }

    [Fact]
    public async Task A_connect_nobody_listens_for_or_across_a_partition_is_refused_and_a_bound_port_cannot_be_bound_twice()
    {
        var network = new InMemoryNetwork();
        ITransportFactory a = network.Host(IPAddress.Parse("10.0.0.1"));
        ITransportFactory b = network.Host(IPAddress.Parse("10.0.0.2"));
        using ITransportListener listener = a.Listen(new IPEndPoint(IPAddress.Any, 7000));

        var none = await Assert.ThrowsAsync<TransportException>(() => b.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 7001), CancellationToken.None));
        Assert.Equal(TransportErrorKind.Refused, none.Kind);
        Assert.Throws<TransportException>(() => a.Listen(new IPEndPoint(IPAddress.Any, 7000)));
        network.Reachable = (from, to) => false;
        var cut = await Assert.ThrowsAsync<TransportException>(() => b.ConnectAsync(listener.LocalEndPoint, CancellationToken.None));
        Assert.Equal(TransportErrorKind.Refused, cut.Kind);
    }

    [Fact]
    public async Task Severing_resets_the_connections_across_the_cut_and_leaves_the_others_open()
    {
        var network = new InMemoryNetwork();
        IPAddress a = IPAddress.Parse("10.0.0.1"), b = IPAddress.Parse("10.0.0.2"), c = IPAddress.Parse("10.0.0.3");
        using ITransportListener listener = network.Host(a).Listen(new IPEndPoint(IPAddress.Any, 7000));
        await using TransportConnection fromB = await network.Host(b).ConnectAsync(listener.LocalEndPoint, CancellationToken.None);
        await using TransportConnection atA1 = await listener.AcceptAsync(CancellationToken.None);
        await using TransportConnection fromC = await network.Host(c).ConnectAsync(listener.LocalEndPoint, CancellationToken.None);
        await using TransportConnection atA2 = await listener.AcceptAsync(CancellationToken.None);

        Assert.Equal(1, network.Sever((x, y) => x.Equals(c) || y.Equals(c)));

        var reset = await Assert.ThrowsAsync<TransportException>(async () => await fromC.Pipe.Input.ReadAsync());
        Assert.Equal(TransportErrorKind.Reset, reset.Kind);
        await Assert.ThrowsAsync<TransportException>(async () => await atA2.Pipe.Input.ReadAsync());
        await fromB.Pipe.Output.WriteAsync(new byte[] { 7 });
        ReadResult read = await atA1.Pipe.Input.ReadAsync();
        Assert.Equal(new byte[] { 7 }, read.Buffer.ToArray());
    }

    [Fact]
    public async Task Runtimes_over_in_memory_pipes_handshake_and_deliver_a_signed_delta_through_a_relay()
    {
        var network = new InMemoryNetwork();
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        using var c = NodeIdentity.Create();
        await using var na = new NodeRuntime(Parts(network, a, 1), NullLoggerFactory.Instance);
        await na.StartAsync(CancellationToken.None);
        await using var nb = new NodeRuntime(Parts(network, b, 2, 1), NullLoggerFactory.Instance);
        await nb.StartAsync(CancellationToken.None);
        await using var nc = new NodeRuntime(Parts(network, c, 3, 2), NullLoggerFactory.Instance);
        await nc.StartAsync(CancellationToken.None);
        var atC = new TaskCompletionSource<StoredDelta>(TaskCreationOptions.RunContinuationsAsynchronously);
        nc.DeltaArrived += (d, _) => atC.TrySetResult(d);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (na.GetStatus().Peers.Count == 0 || nc.GetStatus().Peers.Count == 0)
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal("10.0.0.2", HostOf(na.GetStatus().Peers[0].Address));
        float[] values = Enumerable.Range(0, 50_000).Select(i => (float)Math.Sin(i)).ToArray();
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, values, TensorEncoding.Float32);
        SignedDelta delta = SignedDelta.Create(a.SigningKey, new DeltaHeader
        {
            MeshId = NodeRuntime.MeshIdFor("mem"),
            BaseModelHash = new byte[32],
            Schema = Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);
        await na.PublishAsync(delta, encoded.Payload);

        StoredDelta got = await atC.Task.WaitAsync(timeout.Token);
        Assert.True(got.Payload.Span.SequenceEqual(encoded.Payload.Span));
        Assert.True(nc.GetStatus().BytesIn > encoded.Payload.Length);
    }

    private static string HostOf(string address) => PeerAddress.TryParse(address, out PeerAddress parsed, out _) ? parsed.Host : address;

    private static NodeParts Parts(InMemoryNetwork network, NodeIdentity id, int host, int? seedHost = null) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor("mem"), new byte[32], Schema),
        MeshName = "mem",
        Listen = new IPEndPoint(IPAddress.Parse($"10.0.0.{host}"), 7000),
        Seeds = seedHost is { } s ? [new Seed(new PeerAddress($"10.0.0.{s}", 7000))] : [],
        // Flood: the test is about a state relayed through a middle node, which neighbours mode never does.
        Gossip = GossipOptions.Default with { Mode = GossipMode.Flood },
        Transport = network.Host(IPAddress.Parse($"10.0.0.{host}")),
        Seed = host,
    };
}
