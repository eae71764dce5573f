using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Tests.Deltas;
using FedMesh.Protocol.Wire;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>The shuffle element of PeerList (SPEC.md §4.3, §9.10): the vector, round trips, rejections.</summary>
public class PeerListShuffleTests
{
    private static PeerListMessage VectorShuffle() =>
        new([new PeerEntry(TestDeltas.KeyFromSeed(1).PublicKey.Export(KeyBlobFormat.RawPublicKey), ["192.0.2.1:7400"])])
        {
            Kind = PeerListKind.ShuffleRequest,
            Ages = [3],
        };

    [Fact]
    public void Shuffle_body_and_frame_match_the_spec_vector()
    {
        byte[] body = MessageCodec.Encode(VectorShuffle());
        Assert.Equal(SpecVectors.Text("peer-list-shuffle", "public_key"), Convert.ToHexStringLower(VectorShuffle().Peers[0].PublicKey.Span));
        Assert.Equal(SpecVectors.Text("peer-list-shuffle", "body"), Convert.ToHexStringLower(body));
        Assert.Equal(SpecVectors.Text("peer-list-shuffle", "frame"), Convert.ToHexStringLower(MessageSpecVectorTests.Frame(FrameType.PeerList, body)));
        var back = MessageCodec.Decode<PeerListMessage>(FrameType.PeerList, SpecVectors.Bytes("peer-list-shuffle", "body"));
        Assert.Equal(PeerListKind.ShuffleRequest, back.Kind);
        Assert.Equal([(ushort)3], back.Ages);
        Assert.Equal(body, MessageCodec.Encode(back));
    }

    [Fact]
    public void A_hint_has_no_shuffle_element_and_decodes_as_a_hint()
    {
        var hint = new PeerListMessage(VectorShuffle().Peers);
        byte[] body = MessageCodec.Encode(hint);
        Assert.Equal(0x91, body[0]);
        var back = MessageCodec.Decode<PeerListMessage>(FrameType.PeerList, body);
        Assert.Equal(PeerListKind.Hint, back.Kind);
        Assert.Empty(back.Ages);
    }

    [Fact]
    public void A_reply_with_64_peers_round_trips()
    {
        var peers = Enumerable.Range(0, MessageLimits.MaxPeersPerList)
            .Select(i => new PeerEntry(Enumerable.Repeat((byte)i, 32).ToArray(), [$"10.0.0.{i}:7400"])).ToArray();
        var reply = new PeerListMessage(peers) { Kind = PeerListKind.ShuffleReply, Ages = peers.Select((_, i) => (ushort)(i * 1000)).ToArray() };
        var back = MessageCodec.Decode<PeerListMessage>(FrameType.PeerList, MessageCodec.Encode(reply));
        Assert.Equal(PeerListKind.ShuffleReply, back.Kind);
        Assert.Equal(reply.Ages, back.Ages);
        Assert.Equal(64, back.Peers.Count);
    }

    [Theory]
    [InlineData("03", "shuffle")] // a bare integer: the element must be an array
    [InlineData("92009103", "shuffle.kind is 0")]
    [InlineData("92039103", "shuffle.kind is 3")]
    [InlineData("92019203 03", "shuffle.ages has 2 elements")]
    [InlineData("920190", "shuffle.ages has 0 elements")]
    [InlineData("920191ce00010000", "integer out of range")] // 65536 does not fit u16
    public void Malformed_shuffle_elements_are_rejected_naming_the_field(string shuffleHex, string reason)
    {
        byte[] valid = SpecVectors.Bytes("peer-list-shuffle", "body");
        byte[] peersOnly = valid[1..^4]; // drop the envelope header and the 4-byte shuffle element
        byte[] body = [0x92, .. peersOnly, .. Convert.FromHexString(shuffleHex.Replace(" ", string.Empty, StringComparison.Ordinal))];
        var e = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(FrameType.PeerList, body));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, e.Code);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_writer_refuses_ages_that_do_not_match_the_peers()
    {
        var bad = VectorShuffle() with { Ages = [1, 2] };
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(bad));
        var hintWithAges = new PeerListMessage(VectorShuffle().Peers) { Ages = [1] };
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(hintWithAges));
    }
}
