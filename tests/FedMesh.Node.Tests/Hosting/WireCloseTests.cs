using System.Net;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// What a peer receives when a node closes on it (SPEC.md §4.9, §9.1, shutdown): a hand-driven peer connects to a
/// real node over loopback TCP and reads the frames the node sends.
/// </summary>
[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public sealed class WireCloseTests : IDisposable
{
    private const string MeshName = "wire-close-test";
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [8])]);
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));
    private readonly CapturedLogs _logs = new();
    private readonly ILoggerFactory _loggers;

    public WireCloseTests() => _loggers = LoggerFactory.Create(b => b.AddProvider(_logs));

    public void Dispose()
    {
        _guard.Dispose();
        _loggers.Dispose();
    }

    [Fact]
    public async Task A_malformed_message_is_answered_with_Bye_MalformedMessage_not_dropped_as_a_slow_reader()
    {
        using var nodeId = NodeIdentity.Create();
        using var peerId = NodeIdentity.Create();
        (NodeRuntime node, SecureConnection peer) = await StartAndGreetAsync(nodeId, peerId);
        await using var disposeNode = node;
        await using var disposePeer = peer;

        // A Hello body that is not a MessagePack array.
        await peer.SendAsync(FrameType.Hello, new byte[] { 0xc1 }, _guard.Token);

        ByeMessage bye = await ByeAsync(peer);
        Assert.Equal(ProtocolErrorCode.MalformedMessage, bye.Code);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("is not reading", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Hello_of_another_mesh_is_answered_with_Bye_IncompatiblePeer()
    {
        using var nodeId = NodeIdentity.Create();
        using var peerId = NodeIdentity.Create();
        (NodeRuntime node, SecureConnection peer) = await StartAndGreetAsync(nodeId, peerId);
        await using var disposeNode = node;
        await using var disposePeer = peer;

        await peer.SendAsync(new HelloMessage
        {
            PublicKey = peerId.PublicKey.ToArray(),
            MeshId = NodeRuntime.MeshIdFor("another mesh"),
            BaseModelHash = new byte[32],
            AdapterSchemaHash = Schema.Hash,
            SoftwareVersion = "test",
        }, _guard.Token);

        ByeMessage bye = await ByeAsync(peer);
        Assert.Equal(ProtocolErrorCode.IncompatiblePeer, bye.Code);
        Assert.Contains("another mesh", bye.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_tells_every_peer_with_Bye_Shutdown()
    {
        using var nodeId = NodeIdentity.Create();
        using var peerId = NodeIdentity.Create();
        (NodeRuntime node, SecureConnection peer) = await StartAndGreetAsync(nodeId, peerId);
        await using var disposeNode = node;
        await using var disposePeer = peer;

        await node.StopAsync();

        ByeMessage bye = await ByeAsync(peer);
        Assert.Equal(ProtocolErrorCode.Shutdown, bye.Code);
    }

    private static NodeParts Parts(NodeIdentity id) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
        MeshName = MeshName,
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Gossip = GossipOptions.Default,
    };

    /// <summary>Starts a node, dials it as <paramref name="peerId"/> and reads the node's Hello (its first message).</summary>
    private async Task<(NodeRuntime Node, SecureConnection Peer)> StartAndGreetAsync(NodeIdentity nodeId, NodeIdentity peerId)
    {
        var node = new NodeRuntime(Parts(nodeId), _loggers);
        await node.StartAsync(CancellationToken.None);
        TcpPipe pipe = await TcpPipe.ConnectAsync(node.ListenEndPoint!, _guard.Token);
        var options = ConnectionOptions.Default with { Handshake = HandshakeOptions.Default with { MeshId = MeshName } };
        SecureConnection peer = await SecureConnection.ConnectAsync(pipe, peerId, options, cancellationToken: _guard.Token);
        Assert.IsType<HelloMessage>(await NextAsync(peer));
        return (node, peer);
    }

    private async Task<WireMessage> NextAsync(SecureConnection connection)
    {
        using ReceivedFrame frame = await connection.Incoming.ReadAsync(_guard.Token);
        return MessageCodec.Decode(frame.Type, frame.Body);
    }

    /// <summary>Reads until Bye (skipping PeerList/Have/Ping the node may send first); fails if the connection ends without one.</summary>
    private async Task<ByeMessage> ByeAsync(SecureConnection connection)
    {
        while (await connection.Incoming.WaitToReadAsync(_guard.Token))
        {
            if (await NextAsync(connection) is ByeMessage bye)
            {
                return bye;
            }
        }

        Assert.Fail($"the connection ended without Bye ({(await connection.Completion).Message})");
        return null!;
    }
}
