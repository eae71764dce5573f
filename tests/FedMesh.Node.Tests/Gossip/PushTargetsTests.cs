using FedMesh.Node.Gossip;
using FedMesh.Node.Gossip.Internal;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>
/// Neighbours-mode push targets (<see cref="PushTargets"/>, <see cref="GossipOptions.FanoutPastIgnored"/>): a peer
/// this node ignores is pushed to when drawn but does not count toward the fanout.
/// </summary>
public class PushTargetsTests
{
    private static readonly GossipOptions Neighbours = GossipOptions.Default with { Mode = GossipMode.Neighbours, Fanout = 3 };

    /// <summary>Peer ids of the nodes of a test network, by index (GossipTestNode's keys).</summary>
    private static PeerId[] Peers(int n) => Enumerable.Range(0, n)
        .Select(i => PeerId.FromPublicKey(GossipFixture.KeyFromSeed((byte)(1 + i)).PublicKey.Export(NSec.Cryptography.KeyBlobFormat.RawPublicKey)))
        .ToArray();

    [Fact]
    public void With_nobody_ignored_the_targets_are_the_first_fanout_of_the_draw()
    {
        PeerId[] peers = Peers(8);
        Assert.Equal(peers[..3], PushTargets.Choose(peers, _ => false, 3));
    }

    [Fact]
    public void An_ignored_peer_is_pushed_to_but_not_counted()
    {
        PeerId[] peers = Peers(8);
        var ignored = new HashSet<PeerId> { peers[0], peers[2] };

        // p0 (ignored), p1, p2 (ignored), p3, p4: three counted targets, and the ignored ones drawn before them kept.
        Assert.Equal(peers[..5], PushTargets.Choose(peers, ignored.Contains, 3));
    }

    [Fact]
    public void A_node_that_ignores_every_peer_still_pushes_to_twice_the_fanout()
    {
        PeerId[] peers = Peers(10);
        Assert.Equal(peers[..(PushTargets.MaxTargetsPerFanout * 3)], PushTargets.Choose(peers, _ => true, 3));
    }

    [Fact]
    public void Fewer_peers_than_the_fanout_are_all_targets()
    {
        PeerId[] peers = Peers(2);
        Assert.Equal(peers, PushTargets.Choose(peers, p => p == peers[1], 3));
        Assert.Empty(PushTargets.Choose([], _ => false, 3));
    }

    /// <summary>Fails without the rule: node 0 ignores three of its nine peers, and a uniform draw of three reaches
    /// all three among the other six in only 20 of 84 draws. Three ignored is the most the bound of 2 × fanout
    /// targets always covers.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Every_release_reaches_fanout_peers_whose_states_the_node_merges(int seed)
    {
        var ignoredPeers = Peers(4)[1..].ToHashSet();
        var net = new GossipNetwork(10, seed, Neighbours, ignored: (observer, peer) => observer == 0 && ignoredPeers.Contains(peer));
        net.ConnectAll(Topology.Full(10));
        net.Run();
        Assert.Equal(Peers(10), net.Nodes.Select(n => n.Peer));

        for (int release = 1; release <= 10; release++)
        {
            net[0].Sent.Clear();
            net[0].Publish(chunkSize: 1024, seed: release);
            net.Run();
            PeerId[] haves = net[0].Sent.Where(s => s.Message is HaveMessage).Select(s => s.To).ToArray();
            Assert.Equal(3, haves.Count(p => !ignoredPeers.Contains(p)));
            Assert.True(haves.Length <= PushTargets.MaxTargetsPerFanout * 3);
        }
    }

    /// <summary>Flood mode, or the rule turned off: a release goes to fanout peers whoever is ignored.</summary>
    [Theory]
    [InlineData(GossipMode.Flood, true)]
    [InlineData(GossipMode.Neighbours, false)]
    public void Without_the_rule_a_release_goes_to_fanout_peers_whoever_is_ignored(GossipMode mode, bool rule)
    {
        var net = new GossipNetwork(10, 1, Neighbours with { Mode = mode, FanoutPastIgnored = rule }, ignored: (_, _) => true);
        net.ConnectAll(Topology.Full(10));
        net.Run();
        net[0].Sent.Clear();
        net[0].Publish(chunkSize: 1024);
        net.Run();
        Assert.Equal(3, net[0].Sent.Count(s => s.Message is HaveMessage));
    }

    [Fact]
    public void An_ignored_newcomer_is_not_offered_the_release_on_connect_and_a_trusted_one_is()
    {
        PeerId ignored = Peers(2)[1];
        var net = new GossipNetwork(3, 1, Neighbours, ignored: (observer, peer) => observer == 0 && peer == ignored);
        StoredDelta published = net[0].Publish(chunkSize: 1024);
        net.Connect(0, 1);
        net.Connect(0, 2);
        net.Run();

        Assert.False(net[1].Holds(published));
        Assert.True(net[2].Holds(published));
    }
}
