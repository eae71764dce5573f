using FedMesh.Node.Gossip;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>Neighbours mode (gossip.mode = "neighbours"): own releases go to fanout peers, nothing is relayed.</summary>
public class GossipNeighboursModeTests
{
    private static readonly GossipOptions Neighbours = GossipOptions.Default with { Mode = GossipMode.Neighbours, Fanout = 3 };

    [Fact]
    public void The_default_mode_is_neighbours() => Assert.Equal(GossipMode.Neighbours, GossipOptions.Default.Mode);

    [Fact]
    public void A_release_reaches_exactly_fanout_peers_and_no_receiver_announces_it_on()
    {
        var net = new GossipNetwork(10, seed: 3, options: Neighbours);
        net.ConnectAll(Topology.Full(10));
        net.Run();
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        net.Run();

        Assert.Equal(3, net.Nodes.Count(n => n.Index != 0 && n.Holds(published)));
        Assert.Equal(3, net[0].Sent.Count(s => s.Message is HaveMessage));
        foreach (GossipTestNode node in net.Nodes.Skip(1))
        {
            Assert.DoesNotContain(node.Sent, s => s.Message is HaveMessage);
        }

        // Anti-entropy is flood's: in neighbours mode the next round's release supersedes a missed one.
        net.Advance(GossipOptions.Default.AntiEntropyInterval * 3);
        net.Run();
        Assert.Equal(3, net.Nodes.Count(n => n.Index != 0 && n.Holds(published)));
    }

    [Fact]
    public void A_node_stores_only_its_own_releases_and_does_not_pull_a_repeated_announcement_again()
    {
        var net = new GossipNetwork(2, options: Neighbours);
        net.Connect(0, 1);
        net.Run();
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        net.Run();

        Assert.Equal(published.ContentIdHex, Assert.Single(net[1].Verified).ContentIdHex);
        Assert.Equal(0, net[1].Engine.Store.Count);
        Assert.True(net[0].Engine.Store.TryGet(published.ContentIdHex, out _));

        // The origin announces the same release again (as after a reconnect): the receiver, which no longer holds it,
        // knows its sequence and asks for nothing.
        int wants = net[1].Sent.Count(s => s.Message is WantMessage);
        net[1].Engine.Receive(net[0].Peer, published.Delta.Have());
        net.Run();
        Assert.Equal(wants, net[1].Sent.Count(s => s.Message is WantMessage));
        Assert.Single(net[1].Verified);

        // Its own next release is stored (and served) as before.
        net[1].Publish(chunkSize: 1024);
        net.Run();
        Assert.Equal(1, net[1].Engine.Store.Count);
        Assert.Single(net[0].Verified);
    }

    [Fact]
    public void Flood_mode_with_the_same_fanout_reaches_every_node()
    {
        var net = new GossipNetwork(10, seed: 3, options: Neighbours with { Mode = GossipMode.Flood });
        net.ConnectAll(Topology.Full(10));
        net.Run();
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        net.Run();
        net.Advance(GossipOptions.Default.AntiEntropyInterval);
        net.Run();

        Assert.All(net.Nodes, n => Assert.True(n.Holds(published)));
    }

    [Fact]
    public void A_Have_for_another_origin_than_the_announcing_peer_is_not_pulled()
    {
        var net = new GossipNetwork(2, options: Neighbours);
        var relay = new FakePeer(77);
        relay.Join(net[0], net.Fixture);
        StoredDelta foreign = net[1].Publish(chunkSize: 1024);

        net[0].Engine.Receive(relay.Peer, foreign.Delta.Have());

        Assert.Equal(0, relay.WantsFrom(net[0]));
        Assert.Equal(0, net[0].Engine.TransfersInFlight);
    }

    [Fact]
    public void A_Have_for_the_announcing_peers_own_release_is_pulled()
    {
        var net = new GossipNetwork(2, options: Neighbours);
        var peer = new FakePeer(77);
        peer.Join(net[0], net.Fixture);
        (Protocol.Deltas.SignedDelta own, _) = net.Fixture.Sign(peer.Key, 1, 1024);

        net[0].Engine.Receive(peer.Peer, own.Have());

        Assert.Equal(1, peer.WantsFrom(net[0]));
    }

    [Fact]
    public void A_newcomer_is_not_sent_the_states_of_other_origins_on_Hello()
    {
        var net = new GossipNetwork(3, options: Neighbours with { Fanout = 8 });
        net.Connect(0, 1);
        net.Run();
        net[1].Publish(chunkSize: 1024);
        net.Run();
        Assert.Single(net[0].Verified);

        net.Connect(2, 0);
        net.Run();

        Assert.Empty(net[2].Verified);
        Assert.DoesNotContain(net[0].Sent, s => s.To == net[2].Peer && s.Message is HaveMessage);
    }

    [Fact]
    public void A_newcomer_is_sent_this_nodes_own_newest_release_on_Hello_and_nothing_else()
    {
        var net = new GossipNetwork(3, options: Neighbours with { Fanout = 8 });
        net.Connect(0, 1);
        net.Run();
        net[1].Publish(chunkSize: 1024);
        net[0].Publish(chunkSize: 1024);
        StoredDelta newest = net[0].Publish(chunkSize: 1024);
        net.Run();

        net.Connect(2, 0);
        net.Run();

        // Only node 0's newest own state crosses the new link: not its older one, not node 1's it holds.
        StoredDelta received = Assert.Single(net[2].Verified);
        Assert.Equal(newest.ContentIdHex, received.ContentIdHex);
        Assert.Single(net[0].Sent, s => s.To == net[2].Peer && s.Message is HaveMessage);
    }

    [Fact]
    public void A_reconnecting_peer_is_not_offered_again_a_state_it_was_offered_in_an_earlier_session()
    {
        var net = new GossipNetwork(2, options: Neighbours);
        net.Connect(0, 1);
        net.Run();
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        net.Run();
        Assert.True(net[1].Holds(published));

        // Overlay shuffles close and reopen sessions many times a round: the same state is not offered again.
        for (int i = 0; i < 3; i++)
        {
            net.Disconnect(0, 1);
            net.Connect(0, 1);
            net.Run();
        }

        Assert.Single(net[0].Sent, s => s.To == net[1].Peer && s.Message is HaveMessage);
        Assert.Single(net[1].Verified);

        // A newer release is offered on the next new session.
        net.Disconnect(0, 1);
        StoredDelta newer = net[0].Publish(chunkSize: 1024);
        net.Connect(0, 1);
        net.Run();

        Assert.Equal(2, net[0].Sent.Count(s => s.To == net[1].Peer && s.Message is HaveMessage));
        Assert.True(net[1].Holds(newer));
    }

    [Fact]
    public void Push_on_connect_offers_one_release_to_at_most_fanout_newcomers()
    {
        var net = new GossipNetwork(7, options: Neighbours with { Fanout = 2 });
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        for (int i = 1; i < 7; i++)
        {
            net.Connect(i, 0);
            net.Run();
        }

        // Without the budget every new session carried the release: it reached fanout + sessions opened peers.
        Assert.Equal(2, net.Nodes.Count(n => n.Index != 0 && n.Holds(published)));
        Assert.Equal(2, net[0].Sent.Count(s => s.Message is HaveMessage));

        // The next release has its own budget (and goes to fanout of the connected peers at once).
        StoredDelta next = net[0].Publish(chunkSize: 1024);
        net.Run();
        Assert.Equal(2, net.Nodes.Count(n => n.Index != 0 && n.Holds(next)));
    }
}
