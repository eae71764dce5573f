using Xunit.Abstractions;
using FedMesh.Node.Gossip;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Tests.Gossip;

public class GossipDisseminationTests(ITestOutputHelper output)
{
    /// <summary>36864 / 6703 = 5.5 chunks (5 full and a last one of 3349 bytes).</summary>
    private const int HalfChunkSize = 6703;

    public static TheoryData<string, int> Meshes()
    {
        var data = new TheoryData<string, int>();
        foreach (string topology in new[] { "full", "line", "random" })
        {
            foreach (int n in new[] { 2, 4, 8, 16 })
            {
                data.Add(topology, n);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Meshes))]
    public void One_publisher_reaches_every_node_once_and_every_byte_is_downloaded_once(string topology, int n)
    {
        var net = new GossipNetwork(n, seed: n, fixture: GossipFixture.Large);
        net.ConnectAll(topology switch
        {
            "full" => Topology.Full(n),
            "line" => Topology.Line(n),
            _ => Topology.Random(n, seed: n, extra: n / 2),
        });
        net.Run();
        net.ResetCounters();

        StoredDelta published = net[0].Publish(HalfChunkSize);
        Assert.Equal(6, published.Delta.Manifest.ChunkCount);
        net.Run();

        Assert.Empty(net[0].Verified);
        foreach (GossipTestNode node in net.Nodes.Skip(1))
        {
            StoredDelta got = Assert.Single(node.Verified);
            Assert.Equal(published.ContentIdHex, got.ContentIdHex);
            Assert.True(got.Payload.Span.SequenceEqual(published.Payload.Span));
            Assert.Empty(node.Rejected);
            Assert.Equal(0, node.Engine.TransfersInFlight);
        }

        long size = net.Fixture.PayloadBytes;
        Assert.Equal((n - 1) * size, net.ChunkBytes);
        double amplification = (double)net.WireBytes / ((n - 1) * size);
        output.WriteLine($"{topology} n={n}: wire {net.WireBytes} B for {(n - 1) * size} B of payload needed = {amplification:F4}×, {net.Delivered} messages");
        Assert.True(amplification <= 1.1, $"wire bytes {net.WireBytes} are {amplification:F3}× the payload bytes needed");
    }

    [Fact]
    public void A_late_joiner_gets_the_newest_delta_of_each_origin_from_the_Haves_sent_on_Hello()
    {
        var net = new GossipNetwork(4);
        net.Connect(0, 1);
        net.Run();
        net[0].Publish(chunkSize: 512, seed: 1);
        StoredDelta newest = net[0].Publish(chunkSize: 512, seed: 2);
        StoredDelta other = net[1].Publish(chunkSize: 512, seed: 3);
        net.Run();

        net.Connect(2, 1);
        net.Run();

        Assert.Equal(
            new[] { newest.ContentIdHex, other.ContentIdHex }.Order(),
            net[2].Verified.Select(d => d.ContentIdHex).Order());
        // Only the newest per origin is announced to a newcomer: nothing older was even asked for.
        Assert.Equal(2, net[2].Sent.Count(s => s.Message is WantMessage { WantManifest: true }));
    }

    [Fact]
    public void A_node_that_receives_a_delta_announces_it_to_others_but_not_back_to_its_source()
    {
        var net = new GossipNetwork(3);
        net.ConnectAll(Topology.Line(3));
        net.Run();
        StoredDelta d = net[0].Publish(chunkSize: 512);
        net.Run();
        Assert.DoesNotContain(net[1].Sent, s => s.To == net[0].Peer && s.Message is HaveMessage);
        Assert.Contains(net[1].Sent, s => s.To == net[2].Peer && s.Message is HaveMessage h && Convert.ToHexStringLower(h.ContentId.Span) == d.ContentIdHex);
    }

    [Fact]
    public void With_a_fanout_below_the_degree_push_misses_some_nodes_and_anti_entropy_reaches_them()
    {
        var net = new GossipNetwork(16, seed: 5, options: GossipNetwork.Flood with { Fanout = 1 });
        net.ConnectAll(Topology.Full(16));
        net.Run();
        StoredDelta d = net[0].Publish(chunkSize: 1024);
        net.Run();
        int missedByPush = net.Nodes.Count(n => !n.Holds(d));
        Assert.True(missedByPush > 0, "fanout 1 in a 16-node full mesh is expected to miss nodes; the test needs that case");

        for (int round = 0; round < 20; round++)
        {
            net.Advance(GossipOptions.Default.AntiEntropyInterval);
            net.Run();
        }

        Assert.All(net.Nodes, n => Assert.True(n.Holds(d)));
        Assert.All(net.Nodes.Skip(1), n => Assert.Single(n.Verified));
        Assert.Equal(15L * net.Fixture.PayloadBytes, net.ChunkBytes);
        output.WriteLine($"fanout 1: push alone reached {16 - missedByPush}/16 nodes; anti-entropy the rest");
    }
}
