using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Gossip;

public class DeltaStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Key A = GossipFixture.KeyFromSeed(50), B = GossipFixture.KeyFromSeed(60);
    private static readonly Key C = GossipFixture.KeyFromSeed(70), D = GossipFixture.KeyFromSeed(80);

    private static StoredDelta Make(Key origin, ulong sequence)
    {
        (SignedDelta delta, byte[] payload) = GossipFixture.Small.Sign(origin, sequence, chunkSize: 1024, seed: (int)sequence);
        return new StoredDelta(delta, payload, T0);
    }

    [Fact]
    public void When_full_the_oldest_delta_that_is_not_the_newest_of_its_origin_goes_first()
    {
        var store = new DeltaStore(maxCount: 3, maxBytes: long.MaxValue);
        StoredDelta b1 = Make(B, 1), a1 = Make(A, 1), a2 = Make(A, 2), a3 = Make(A, 3);
        store.Add(b1);
        store.Add(a1);
        store.Add(a2);
        store.Add(a3);

        Assert.Equal(3, store.Count);
        Assert.True(store.TryGet(b1.ContentIdHex, out _));
        Assert.False(store.TryGet(a1.ContentIdHex, out _));
        Assert.True(store.TryGet(a2.ContentIdHex, out _));
        Assert.Equal(new[] { a3.ContentIdHex, b1.ContentIdHex }.Order(), store.LatestPerOrigin.Select(d => d.ContentIdHex).Order());
    }

    [Fact]
    public void A_delta_superseded_later_still_goes_in_its_arrival_order_and_the_oldest_newest_goes_when_none_is_superseded()
    {
        var store = new DeltaStore(maxCount: 3, maxBytes: long.MaxValue);
        StoredDelta a1 = Make(A, 1), b1 = Make(B, 1), b2 = Make(B, 2), a2 = Make(A, 2), c1 = Make(C, 1), d1 = Make(D, 1), a3 = Make(A, 3);
        store.Add(a1);
        store.Add(b1);
        store.Add(b2);
        // a1 is superseded after b1 was, but arrived first: it goes first.
        store.Add(a2);
        Assert.False(store.TryGet(a1.ContentIdHex, out _));
        Assert.True(store.TryGet(b1.ContentIdHex, out _));

        store.Add(c1);
        Assert.False(store.TryGet(b1.ContentIdHex, out _));

        // Only the newest of each origin is left (b2, a2, c1 in arrival order): the oldest of them goes, and its origin
        // has no newest delta here any more.
        store.Add(d1);
        Assert.False(store.TryGet(b2.ContentIdHex, out _));
        Assert.False(store.TryGetLatest(b2.OriginHex, out _));
        Assert.True(store.TryGet(a2.ContentIdHex, out _));

        store.Add(a3);
        Assert.False(store.TryGet(a2.ContentIdHex, out _));
        Assert.True(store.TryGetLatest(d1.OriginHex, out StoredDelta newestOfD));
        Assert.Same(d1, newestOfD);
        Assert.True(store.TryGetLatest(a3.OriginHex, out StoredDelta newestOfA));
        Assert.Same(a3, newestOfA);
        Assert.Equal(new[] { a3.ContentIdHex, c1.ContentIdHex, d1.ContentIdHex }.Order(), store.LatestPerOrigin.Select(d => d.ContentIdHex).Order());
        Assert.Equal(3L * a1.Payload.Length, store.Bytes);
    }

    [Fact]
    public void The_byte_bound_holds_and_the_newest_per_origin_are_kept()
    {
        StoredDelta a1 = Make(A, 1), a2 = Make(A, 2), b1 = Make(B, 1);
        var store = new DeltaStore(maxCount: 100, maxBytes: 2L * a1.Payload.Length);
        store.Add(a1);
        store.Add(b1);
        store.Add(a2);

        Assert.Equal(2, store.Count);
        Assert.Equal(2L * a1.Payload.Length, store.Bytes);
        Assert.False(store.TryGet(a1.ContentIdHex, out _));
        Assert.Equal(new[] { a2.ContentIdHex, b1.ContentIdHex }.Order(), store.LatestPerOrigin.Select(d => d.ContentIdHex).Order());
    }

    [Fact]
    public void Adding_the_same_content_twice_stores_it_once()
    {
        var store = new DeltaStore(10, long.MaxValue);
        StoredDelta a1 = Make(A, 1);
        store.Add(a1);
        store.Add(Make(A, 1));
        Assert.Equal(1, store.Count);
        Assert.Equal(a1.Payload.Length, store.Bytes);
    }

    [Fact]
    public void A_node_with_a_small_store_still_serves_the_newest_delta_of_each_origin_to_a_late_joiner()
    {
        var net = new GossipNetwork(3, options: GossipNetwork.Flood with { MaxStoredDeltas = 2 });
        net.Connect(0, 1);
        net.Run();
        for (int i = 1; i <= 4; i++)
        {
            net[0].Publish(chunkSize: 1024, seed: i);
            net.Run();
        }

        StoredDelta newest = net[1].Verified[^1];
        Assert.Equal(2, net[1].Engine.Store.Count);
        net.Connect(2, 1);
        net.Run();
        Assert.Equal(newest.ContentIdHex, Assert.Single(net[2].Verified).ContentIdHex);
    }
}
