using FedMesh.Node.Gossip;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.Node.Tests.Gossip;

public class GossipTransferTests
{
    /// <summary>7168 / 64 = 112 chunks: many windows of <see cref="Window"/>.</summary>
    private const int TinyChunk = 64;

    private const int Window = 8;

    private static readonly GossipOptions Windowed = GossipNetwork.Flood with { MaxChunksPerWant = Window };

    /// <summary>Chunk indices a node asked <paramref name="of"/> for, in order (clipped to the delta's chunk count).</summary>
    private static List<uint> Asked(GossipTestNode node, PeerId? of, int chunkCount) =>
        node.Sent
            .Where(s => (of is null || s.To == of) && s.Message is WantMessage)
            .SelectMany(s => ((WantMessage)s.Message).Ranges)
            .SelectMany(r => Enumerable.Range((int)r.Start, (int)r.Count).Select(i => (uint)i))
            .Where(i => i < chunkCount)
            .ToList();

    private static PeerId FirstSource(GossipTestNode node) => node.Sent.First(s => s.Message is WantMessage).To;

    [Fact]
    public void A_many_chunk_transfer_never_has_more_than_MaxChunksPerWant_outstanding_and_asks_each_chunk_once()
    {
        var net = new GossipNetwork(2, options: Windowed);
        net.Connect(0, 1);
        net.Run();
        StoredDelta d = net[0].Publish(TinyChunk);
        int count = d.Delta.Manifest.ChunkCount;
        Assert.Equal(112, count);

        int maxOutstanding = 0;
        net.AfterDelivery = () =>
        {
            int outstanding = Asked(net[1], null, count).Count - (int)net[1].ChunksReceived;
            maxOutstanding = Math.Max(maxOutstanding, outstanding);
        };
        net.Run();

        Assert.Single(net[1].Verified);
        Assert.InRange(maxOutstanding, 1, Window);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (uint)i), Asked(net[1], null, count).Order());
        Assert.Equal(count, net[1].ChunksReceived);
    }

    [Fact]
    public void The_next_window_is_asked_for_when_half_of_the_previous_one_has_arrived()
    {
        var net = new GossipNetwork(2, options: Windowed);
        net.Connect(0, 1);
        net.Run();
        net[0].Publish(TinyChunk);
        net.Run();

        var wants = net[1].Sent.Select(s => s.Message).OfType<WantMessage>().ToList();
        Assert.True(wants[0].WantManifest);
        Assert.Equal([new ChunkRange(0, Window)], wants[0].Ranges);
        // Every later Want tops the window back up by the half that arrived.
        Assert.All(wants.Skip(1).SkipLast(1), w => Assert.Equal(Window / 2, w.Ranges.Sum(r => (int)r.Count)));
        Assert.All(wants.Skip(1), w => Assert.False(w.WantManifest));
    }

    [Fact]
    public void The_first_Want_asks_for_the_manifest_and_a_window_sized_from_the_Have_hint()
    {
        var net = new GossipNetwork(2);
        net.Connect(0, 1);
        net.Run();
        net[0].Publish(chunkSize: 2048);
        net.Run();
        WantMessage first = net[1].Sent.Select(s => s.Message).OfType<WantMessage>().First();
        Assert.True(first.WantManifest);
        Assert.Equal([new ChunkRange(0, 4)], first.Ranges);
        Assert.Single(net[1].Sent, s => s.Message is WantMessage);
        Assert.Equal(4, net[1].ChunksReceived);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_transfer_whose_source_vanishes_or_stalls_completes_from_another_announcer_without_refetching(bool stall)
    {
        var net = new GossipNetwork(3, options: Windowed);
        net.Connect(0, 1);
        net.Run();
        StoredDelta d = net[0].Publish(TinyChunk);
        net.Run();
        Assert.Single(net[1].Verified);
        int count = d.Delta.Manifest.ChunkCount;

        net.Connect(2, 0);
        net.Connect(2, 1);
        bool cut = false;
        net.AfterDelivery = () =>
        {
            if (!cut && net[2].ChunksReceived == 30)
            {
                cut = true;
                int source = net.IndexOf(FirstSource(net[2]));
                if (stall)
                {
                    net.Silenced.Add(source);
                }
                else
                {
                    net.Disconnect(2, source);
                }
            }
        };
        net.Run();
        Assert.True(cut);
        if (stall)
        {
            Assert.Empty(net[2].Verified);
            Assert.Equal(1, net[2].Engine.TransfersInFlight);
            net.Advance(PullOptions.Default.StallTimeout - TimeSpan.FromSeconds(1));
            net.Run();
            Assert.Empty(net[2].Verified);
            net.Advance(TimeSpan.FromSeconds(2));
            net.Run();
        }

        StoredDelta got = Assert.Single(net[2].Verified);
        Assert.Equal(d.ContentIdHex, got.ContentIdHex);
        Assert.True(got.Payload.Span.SequenceEqual(d.Payload.Span));
        Assert.Equal(count, net[2].ChunksReceived);
        Assert.Equal(0, net[2].Engine.TransfersInFlight);

        // The second source was asked only for chunks that had not arrived from the first.
        PeerId first = FirstSource(net[2]);
        PeerId second = first == net[0].Peer ? net[1].Peer : net[0].Peer;
        Assert.DoesNotContain(Asked(net[2], first, count).Intersect(Asked(net[2], second, count)), i => i < 30);
    }

    [Fact]
    public void Late_chunks_from_a_slow_source_left_behind_do_not_widen_the_window_of_the_new_source()
    {
        var net = new GossipNetwork(3, options: Windowed);
        net.Connect(0, 1);
        net.Run();
        StoredDelta d = net[0].Publish(TinyChunk);
        net.Run();
        int count = d.Delta.Manifest.ChunkCount;
        net.Connect(2, 0);
        net.Connect(2, 1);
        Assert.True(net.RunUntil(() => net[2].ChunksReceived == 20));
        int slow = net.IndexOf(FirstSource(net[2]));
        int fast = 1 - slow;
        net.Held.Add(slow);
        net.Run();
        net.Advance(PullOptions.Default.StallTimeout + TimeSpan.FromSeconds(1));
        Assert.Contains(net[2].Sent, s => s.To == net[fast].Peer && s.Message is WantMessage);
        net.Release(slow);

        int maxOutstanding = 0;
        net.AfterDelivery = () => maxOutstanding = Math.Max(maxOutstanding, Asked(net[2], net[fast].Peer, count).Count - (int)net.ChunksOn(fast, 2));
        net.Run();

        Assert.True(net.ChunksOn(slow, 2) > 20, "the slow source's held chunks arrived late");
        Assert.Equal(d.ContentIdHex, Assert.Single(net[2].Verified).ContentIdHex);
        Assert.InRange(maxOutstanding, 1, Window);
    }

    [Fact]
    public void A_source_lost_with_no_other_announcer_leaves_no_transfer_behind_and_a_later_Have_restarts_it()
    {
        var net = new GossipNetwork(3, options: Windowed);
        net.Connect(0, 1);
        net.Run();
        StoredDelta d = net[0].Publish(TinyChunk);
        net.AfterDelivery = () =>
        {
            if (net[1].ChunksReceived == 20 && net.IsConnected(0, 1))
            {
                net.Disconnect(0, 1);
            }
        };
        net.Run();
        net.AfterDelivery = null;

        Assert.Empty(net[1].Verified);
        Assert.Equal(0, net[1].Engine.TransfersInFlight);

        net.Connect(0, 1);
        net.Run();
        Assert.Equal(d.ContentIdHex, Assert.Single(net[1].Verified).ContentIdHex);
    }
}
