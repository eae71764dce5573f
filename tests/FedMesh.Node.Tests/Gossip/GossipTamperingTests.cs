using FedMesh.Node.Gossip;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>Bad relays and bad deltas, and freshness (SPEC.md §5.5–5.6, §9).</summary>
public class GossipTamperingTests
{
    private static readonly FakePeer Relay = new(210);
    private static readonly Key FakeKey = Relay.Key;
    private static readonly byte[] FakePublic = Relay.PublicKey;
    private static readonly PeerId Fake = Relay.Peer;

    /// <summary>Origin 0 publishes; relay 1 fetches it; receiver 2 is made to pull from relay 1 first, then
    /// origin 0 announces too. Returns the delta.</summary>
    private static StoredDelta RelayFirst(GossipNetwork net)
    {
        net.Connect(0, 1);
        net.Run();
        StoredDelta d = net[0].Publish(chunkSize: 512);
        net.Run();
        Assert.Single(net[1].Verified);
        net.Connect(2, 1);
        Assert.True(net.RunUntil(() => net[2].Sent.Any(s => s.Message is WantMessage)));
        Assert.Equal(net[1].Peer, net[2].Sent.First(s => s.Message is WantMessage).To);
        net.Connect(2, 0);
        return d;
    }

    /// <summary>Relay 1 flips a bit of every manifest signature it sends to node 2.</summary>
    private static WireMessage? AlterManifestFrom1To2(int from, int to, WireMessage m) =>
        from == 1 && to == 2 && m is DeltaManifestMessage mm
            ? mm with { Signature = mm.Signature.ToArray().Select((b, i) => i == 0 ? (byte)(b ^ 1) : b).ToArray() }
            : m;

    /// <summary>A node with a fake, ready peer whose messages the test writes by hand.</summary>
    private static GossipTestNode WithFakePeer(GossipNetwork net)
    {
        GossipTestNode node = net[0];
        Relay.Join(node, net.Fixture);
        Assert.Single(node.Ready);
        return node;
    }

    /// <summary>Origin 0 publishes sequences 1 and 2 before node 1 connects; node 1 gets only 2 (the newest) and then
    /// meets the fake relay. Returns both.</summary>
    private static (StoredDelta Old, StoredDelta Newer) NewerFirst(GossipNetwork net)
    {
        StoredDelta old = net[0].Publish(chunkSize: 512, seed: 1);
        StoredDelta newer = net[0].Publish(chunkSize: 512, seed: 2);
        net.Connect(0, 1);
        net.Run();
        Assert.Equal(newer.ContentIdHex, Assert.Single(net[1].Verified).ContentIdHex);
        Relay.Join(net[1], net.Fixture);
        return (old, newer);
    }

    [Fact]
    public void A_relay_that_corrupts_a_chunk_is_reported_and_the_delta_completes_from_an_honest_announcer()
    {
        var net = new GossipNetwork(3);
        net.Interceptor = (from, to, m) => from == 1 && to == 2 && m is DeltaChunkMessage { Index: 3 } c
            ? c with { Data = c.Data.ToArray().Select(b => (byte)(b ^ 0x5a)).ToArray() }
            : m;
        StoredDelta d = RelayFirst(net);
        net.Run();

        (PeerId from, string? id, ProtocolErrorCode code) = Assert.Single(net[2].Rejected);
        Assert.Equal((net[1].Peer, d.ContentIdHex, ProtocolErrorCode.BadChunkHash), (from, id, code));
        StoredDelta got = Assert.Single(net[2].Verified);
        Assert.True(got.Payload.Span.SequenceEqual(d.Payload.Span));
        Assert.Equal(0, net[2].Engine.TransfersInFlight);
    }

    [Fact]
    public void A_relay_that_alters_the_manifest_is_never_believed_and_the_delta_comes_from_an_honest_announcer_after_the_stall()
    {
        var net = new GossipNetwork(3);
        net.Interceptor = AlterManifestFrom1To2;
        StoredDelta d = RelayFirst(net);
        net.Run();
        Assert.Empty(net[2].Verified);
        Assert.Equal(0, net[2].Engine.Store.Count);
        Assert.Equal(1, net[2].Engine.TransfersInFlight);

        net.Advance(PullOptions.Default.StallTimeout + TimeSpan.FromSeconds(1));
        net.Run();
        Assert.Equal(d.ContentIdHex, Assert.Single(net[2].Verified).ContentIdHex);
        Assert.Empty(net[2].Rejected);
    }

    [Fact]
    public void A_relay_that_alters_the_manifest_with_no_honest_announcer_never_gets_the_delta_accepted()
    {
        var net = new GossipNetwork(3);
        net.Interceptor = AlterManifestFrom1To2;
        net.Connect(0, 1);
        net.Run();
        net[0].Publish(chunkSize: 512);
        net.Run();
        net.Connect(2, 1);
        net.Run();
        net.Advance(PullOptions.Default.StallTimeout + TimeSpan.FromSeconds(1));
        net.Run();
        Assert.Empty(net[2].Verified);
        Assert.Equal(0, net[2].Engine.Store.Count);
        Assert.Equal(0, net[2].Engine.TransfersInFlight);
    }

    public static TheoryData<string, ProtocolErrorCode> ForgedDeltas => new()
    {
        { "wrong-key", ProtocolErrorCode.BadSignature },
        { "other-mesh", ProtocolErrorCode.IncompatiblePeer },
    };

    [Theory]
    [MemberData(nameof(ForgedDeltas))]
    public void A_badly_signed_or_foreign_delta_is_rejected_and_never_pulled_again(string kind, ProtocolErrorCode expected)
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = WithFakePeer(net);
        (SignedDelta real, _) = net.Fixture.Sign(FakeKey, 1, 512, meshId: kind == "other-mesh" ? Enumerable.Repeat((byte)0x77, 32).ToArray() : null);
        DeltaManifestMessage manifest = kind == "wrong-key"
            ? real.Message with { Signature = net.Fixture.Sign(GossipFixture.KeyFromSeed(211), 1, 512).Delta.Message.Signature }
            : real.Message;
        byte[] id = ContentHash.Compute(MessageCodec.Encode(manifest));
        var have = new HaveMessage(id, FakePublic, 1, (ulong)real.Manifest.TotalSize, (uint)real.Manifest.ChunkCount);

        node.Engine.Receive(Fake, have);
        Assert.Equal(1, Relay.WantsFrom(node));
        node.Engine.Receive(Fake, manifest);

        (PeerId from, string? rejectedId, ProtocolErrorCode code) = Assert.Single(node.Rejected);
        Assert.Equal((Fake, Convert.ToHexStringLower(id), expected), (from, rejectedId, code));
        Assert.Equal(0, node.Engine.TransfersInFlight);

        node.Engine.Receive(Fake, have);
        Assert.Equal(1, Relay.WantsFrom(node));
        Assert.Empty(node.Verified);
    }

    [Fact]
    public void An_older_sequence_announced_after_a_newer_one_is_not_downloaded()
    {
        var net = new GossipNetwork(2);
        (StoredDelta old, _) = NewerFirst(net);

        // A relay announces the old one truthfully: skipped on the hint, nothing asked.
        net[1].Engine.Receive(Fake, old.Delta.Have());
        Assert.Equal(0, Relay.WantsFrom(net[1]));
    }

    [Fact]
    public void An_older_sequence_whose_Have_lies_about_its_sequence_is_rejected_as_stale_on_the_manifest()
    {
        var net = new GossipNetwork(2);
        (StoredDelta old, StoredDelta newer) = NewerFirst(net);
        net[1].Engine.Receive(Fake, old.Delta.Have() with { Sequence = 99 });
        Assert.Equal(1, Relay.WantsFrom(net[1]));
        net[1].Engine.Receive(Fake, old.Delta.Message);
        Assert.Equal(ProtocolErrorCode.StaleSequence, Assert.Single(net[1].Rejected).Code);
        net[1].Engine.Receive(Fake, old.Delta.Chunk(old.Payload, 0));
        Assert.Equal(newer.ContentIdHex, Assert.Single(net[1].Verified).ContentIdHex);
        Assert.Equal(0, net[1].Engine.TransfersInFlight);
    }

    [Fact]
    public void A_replay_of_content_already_held_is_not_downloaded_again()
    {
        var net = new GossipNetwork(2);
        StoredDelta d = net[0].Publish(chunkSize: 512);
        net.Connect(0, 1);
        net.Run();
        Assert.Single(net[1].Verified);
        long chunks = net[1].ChunksReceived;

        net.Disconnect(0, 1);
        net.Connect(0, 1);
        net.Run();
        Relay.Join(net[1], net.Fixture);
        net[1].Engine.Receive(Fake, d.Delta.Have());

        Assert.Single(net[1].Verified);
        Assert.Equal(chunks, net[1].ChunksReceived);
        Assert.Equal(0, Relay.WantsFrom(net[1]));
    }

    [Fact]
    public void Unsolicited_manifests_and_chunks_are_ignored()
    {
        var net = new GossipNetwork(1);
        GossipTestNode node = WithFakePeer(net);
        (SignedDelta delta, byte[] payload) = net.Fixture.Sign(FakeKey, 1, 512);
        node.Engine.Receive(Fake, delta.Message);
        for (int i = 0; i < delta.Manifest.ChunkCount; i++)
        {
            node.Engine.Receive(Fake, delta.Chunk(payload, i));
        }

        Assert.Empty(node.Verified);
        Assert.Empty(node.Rejected);
        Assert.Equal(0, node.Engine.Store.Count);
        Assert.Null(node.Sequences.LastAccepted(FakePublic));
        Assert.Equal(0, node.Engine.TransfersInFlight);
    }

    [Fact]
    public void A_flood_of_Haves_for_unknown_content_is_bounded_by_the_pending_limit()
    {
        var options = GossipNetwork.Flood with { Pull = PullOptions.Default with { MaxPending = 8, MaxConcurrent = 2 } };
        var net = new GossipNetwork(1, options: options);
        GossipTestNode node = WithFakePeer(net);
        for (int i = 0; i < 100; i++)
        {
            byte[] id = ContentHash.Compute(BitConverter.GetBytes(i));
            node.Engine.Receive(Fake, new HaveMessage(id, FakePublic, 1, 1000, 2));
        }

        Assert.Equal(2, node.Engine.TransfersInFlight);
        Assert.Equal(2, Relay.WantsFrom(node));
    }
}
