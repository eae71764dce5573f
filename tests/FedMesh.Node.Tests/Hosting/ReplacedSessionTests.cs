using System.IO.Pipelines;
using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// Issue 12's stalled walk-through: two daemons dial each other at once (seed and mDNS), the duplicate rule keeps
/// the newer session (SPEC.md §9.8), and the replaced one's Bye, read before that session was closed, reached the
/// gossip engine after the engine had been told of the new session. The engine, which knows peers and not
/// sessions, forgot the peer while the new session stayed up: connected, and nothing exchanged, for good. A real
/// node against a hand-driven peer over in-memory pipes, with the old session's close held open so the late Bye
/// arrives every time.
/// </summary>
public sealed class ReplacedSessionTests : IAsyncDisposable
{
    private const string MeshName = "replaced-session";

    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [4096])]);
    private static readonly IPAddress NodeAddress = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress PeerAddress = IPAddress.Parse("10.0.0.2");
    private const int Port = 7000;

    /// <summary>
    /// Pipes that pause a writer at 16 unread bytes: with the peer not reading the first session, the node's writes
    /// there (its pings) block, so closing that session waits out its drain time-out (5 s) while its read loop still
    /// reads what the peer sends, as a loaded machine's did.
    /// </summary>
    private readonly InMemoryNetwork _network = new(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8));

    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));
    private readonly List<IAsyncDisposable> _owned = [];

    private CancellationToken Guard => _guard.Token;

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _guard.Dispose();
    }

    [Fact]
    public async Task A_late_bye_on_a_replaced_session_does_not_make_the_node_forget_the_peer()
    {
        // The peer's id is the smaller, so the session it initiates wins the crossed dial's tie-break.
        using NodeIdentity first = NodeIdentity.Create();
        using NodeIdentity second = NodeIdentity.Create();
        (NodeIdentity peerId, NodeIdentity nodeId) = string.CompareOrdinal(first.PeerId.Value, second.PeerId.Value) < 0 ? (first, second) : (second, first);
        using ITransportListener listener = _network.Host(PeerAddress).Listen(new IPEndPoint(PeerAddress, Port));

        var node = new NodeRuntime(new NodeParts
        {
            Identity = nodeId,
            Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
            MeshName = MeshName,
            Listen = new IPEndPoint(NodeAddress, Port),
            Seeds = [new Seed(new PeerAddress(PeerAddress.ToString(), Port))],
            Transport = _network.Host(NodeAddress),
            Gossip = GossipOptions.Default,

            // The crossed-dial window: wide enough for the steps below on a loaded machine.
            HandshakeTimeout = TimeSpan.FromSeconds(45),
        }, NullLoggerFactory.Instance);
        _owned.Add(node);
        await node.StartAsync(Guard);

        // The node dials its seed: the old session. The peer greets on it, then stops reading it.
        TransportConnection dialled = await listener.AcceptAsync(Guard);
        _owned.Add(dialled);
        SecureConnection old = await SecureConnection.AcceptAsync(dialled.Pipe, peerId, Options(receiveQueue: 1), cancellationToken: Guard);
        _owned.Add(old);
        await old.SendAsync(Hello(peerId), Guard);
        await UntilAsync(() => node.GetStatus().Peers.Count == 1);
        Assert.Equal(1, node.OutboundSessions);
        await Task.Delay(TimeSpan.FromSeconds(3), Guard); // a few pings fill the unread pipe

        // The peer dials too: its session replaces the old one, and the node greets on it.
        TransportConnection dialling = await _network.Host(PeerAddress).ConnectAsync(new IPEndPoint(NodeAddress, Port), Guard);
        _owned.Add(dialling);
        SecureConnection current = await SecureConnection.ConnectAsync(dialling.Pipe, peerId, Options(receiveQueue: 8), cancellationToken: Guard);
        _owned.Add(current);
        await NextAsync<HelloMessage>(current);

        // The node's only session is now the one the peer dialled: its dial budget counts no session of its own.
        Assert.Equal(0, node.OutboundSessions);
        Assert.Equal("inbound", Assert.Single(node.GetStatus().Peers).Source);

        // The old session's Bye arrives after that; then the peer greets on the new session and announces a delta.
        await old.SendAsync(new ByeMessage(ProtocolErrorCode.Shutdown, "duplicate connection"), Guard);
        await current.SendAsync(Hello(peerId), Guard);
        SignedDelta delta = Sign(peerId);
        await current.SendAsync(delta.Have(), Guard);

        WantMessage want = await NextAsync<WantMessage>(current);
        Assert.Equal(delta.ContentId, want.ContentId.ToArray());
        Assert.True(want.WantManifest);
    }

    private static ConnectionOptions Options(int receiveQueue) => ConnectionOptions.Default with
    {
        Handshake = HandshakeOptions.Default with { MeshId = MeshName },
        ReceiveQueueFrames = receiveQueue,
    };

    private static HelloMessage Hello(NodeIdentity id) => new()
    {
        PublicKey = id.PublicKey.ToArray(),
        MeshId = NodeRuntime.MeshIdFor(MeshName),
        BaseModelHash = new byte[32],
        AdapterSchemaHash = Schema.Hash,
        SoftwareVersion = "replaced-session-test",
    };

    private static SignedDelta Sign(NodeIdentity origin)
    {
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Schema, new float[Schema.TotalElements], TensorEncoding.Int8);
        return SignedDelta.Create(origin.SigningKey, new DeltaHeader
        {
            MeshId = NodeRuntime.MeshIdFor(MeshName),
            BaseModelHash = new byte[32],
            Schema = Schema,
            Sequence = 1,
            Timestamp = DateTimeOffset.UtcNow,
            Privacy = new DpParameters(0, 0, null),
        }, encoded);
    }

    /// <summary>The next message of type <typeparamref name="T"/> on <paramref name="connection"/>; others are skipped.</summary>
    private async Task<T> NextAsync<T>(SecureConnection connection)
        where T : WireMessage
    {
        while (true)
        {
            using ReceivedFrame frame = await connection.Incoming.ReadAsync(Guard);
            if (MessageCodec.Decode(frame.Type, frame.Body) is T message)
            {
                return message;
            }
        }
    }

    private async Task UntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10, Guard);
        }
    }
}
