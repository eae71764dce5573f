using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Gossip;

public class GossipHandshakeTests
{
    private static readonly FakePeer Fake = new(200);
    private static readonly byte[] StrangerPublic = Fake.PublicKey;
    private static readonly PeerId Stranger = Fake.Peer;

    [Fact]
    public void Two_compatible_nodes_accept_each_others_Hello()
    {
        var net = new GossipNetwork(2);
        net.Connect(0, 1);
        net.Run();
        Assert.Equal([net[1].Peer], net[0].Ready);
        Assert.Equal([net[0].Peer], net[1].Ready);
        Assert.Equal([net[1].Peer], net[0].Engine.ReadyPeers);
        Assert.Empty(net[0].Closes);
        Assert.Empty(net[1].Closes);
    }

    public static TheoryData<string, ProtocolErrorCode> BadHellos => new()
    {
        { "mesh", ProtocolErrorCode.IncompatiblePeer },
        { "base", ProtocolErrorCode.IncompatiblePeer },
        { "schema", ProtocolErrorCode.IncompatiblePeer },
        { "version", ProtocolErrorCode.UnsupportedVersion },
        { "key", ProtocolErrorCode.HandshakeFailed },
    };

    [Theory]
    [MemberData(nameof(BadHellos))]
    public void An_incompatible_or_mismatched_Hello_closes_the_connection(string field, ProtocolErrorCode expected)
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = net[0];
        byte[] other = Enumerable.Repeat((byte)0x99, 32).ToArray();
        HelloMessage good = net.Fixture.Hello(StrangerPublic);
        HelloMessage hello = field switch
        {
            "mesh" => good with { MeshId = other },
            "base" => good with { BaseModelHash = other },
            "schema" => good with { AdapterSchemaHash = other },
            "version" => good with { ProtocolVersion = HelloMessage.CurrentProtocolVersion + 1 },
            _ => good with { PublicKey = GossipFixture.KeyFromSeed(201).PublicKey.Export(KeyBlobFormat.RawPublicKey) },
        };

        node.Engine.Connected(Stranger, StrangerPublic);
        node.Engine.Receive(Stranger, hello);

        (PeerId peer, ProtocolErrorCode code, _) = Assert.Single(node.Closes);
        Assert.Equal(Stranger, peer);
        Assert.Equal(expected, code);
        Assert.Empty(node.Ready);
        Assert.Empty(node.Engine.ReadyPeers);

        // The peer is forgotten: whatever it sends next is ignored (no second close, no reply).
        int sent = node.Sent.Count;
        node.Engine.Receive(Stranger, new PingMessage(1));
        Assert.Single(node.Closes);
        Assert.Equal(sent, node.Sent.Count);
    }

    [Fact]
    public void A_message_before_Hello_closes_the_connection_as_unexpected()
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = net[0];
        node.Engine.Connected(Stranger, StrangerPublic);
        node.Engine.Receive(Stranger, new PingMessage(7));
        Assert.Equal(ProtocolErrorCode.UnexpectedFrameType, Assert.Single(node.Closes).Code);
        Assert.DoesNotContain(node.Sent, s => s.Message is PongMessage);
    }

    [Fact]
    public void A_second_Hello_closes_the_connection()
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = net[0];
        Fake.Join(node, net.Fixture);
        Assert.Empty(node.Closes);
        node.Engine.Receive(Stranger, net.Fixture.Hello(StrangerPublic));
        Assert.Equal(ProtocolErrorCode.UnexpectedFrameType, Assert.Single(node.Closes).Code);
        Assert.Empty(node.Engine.ReadyPeers);
    }

    [Fact]
    public void A_connection_sends_this_nodes_Hello_first()
    {
        var net = new GossipNetwork(1);
        net[0].Engine.Connected(Stranger, StrangerPublic);
        HelloMessage hello = Assert.IsType<HelloMessage>(Assert.Single(net[0].Sent).Message);
        Assert.Equal(net[0].PublicKey, hello.PublicKey.ToArray());
    }

    [Fact]
    public void Ping_is_answered_with_Pong_and_PeerList_goes_to_the_host()
    {
        var net = new GossipNetwork(2);
        net.Connect(0, 1);
        net.Run();
        var list = new PeerListMessage([new PeerEntry(StrangerPublic, ["192.0.2.1:7400"])]);
        net[0].Engine.Receive(net[1].Peer, new PingMessage(0xfeed));
        net[0].Engine.Receive(net[1].Peer, list);
        net[0].Engine.Receive(net[1].Peer, new PongMessage(5));
        Assert.Contains(net[0].Sent, s => s.To == net[1].Peer && s.Message is PongMessage { Nonce: 0xfeed });
        Assert.Equal([list, new PongMessage(5)], net[0].Control);
    }

    [Fact]
    public void Bye_from_a_peer_drops_it_without_a_close()
    {
        var net = new GossipNetwork(2);
        net.Connect(0, 1);
        net.Run();
        net[0].Engine.Receive(net[1].Peer, new ByeMessage(ProtocolErrorCode.IncompatiblePeer, "bye"));
        Assert.Empty(net[0].Engine.ReadyPeers);
        Assert.Empty(net[0].Closes);
    }

    [Fact]
    public void Error_from_a_ready_peer_keeps_the_connection_and_reaches_the_host()
    {
        var net = new GossipNetwork(2);
        net.Connect(0, 1);
        net.Run();
        var error = new ErrorMessage(ProtocolErrorCode.Overloaded, "busy");
        net[0].Engine.Receive(net[1].Peer, error);
        Assert.Equal([net[1].Peer], net[0].Engine.ReadyPeers);
        Assert.Equal([error], net[0].Control);
    }

    [Fact]
    public void A_peer_that_sends_no_Hello_is_closed_with_Timeout_once_the_Hello_timeout_has_passed()
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = net[0];
        node.Engine.Connected(Stranger, StrangerPublic);
        net.Advance(GossipOptions.Default.HelloTimeout - TimeSpan.FromSeconds(1));
        Assert.Empty(node.Closes);
        net.Advance(TimeSpan.FromSeconds(1));
        (PeerId peer, ProtocolErrorCode code, _) = Assert.Single(node.Closes);
        Assert.Equal((Stranger, ProtocolErrorCode.Timeout), (peer, code));

        // A ready peer is never timed out.
        Fake.Join(node, net.Fixture);
        net.Advance(GossipOptions.Default.HelloTimeout * 3);
        Assert.Single(node.Closes);
        Assert.Equal([Stranger], node.Engine.ReadyPeers);
    }
}
