using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Messages;

public class MessageRejectionTests
{
    public static TheoryData<int> Indices() => new(Enumerable.Range(0, SampleMessages.All().Count));

    private static ProtocolException Rejects(FrameType type, byte[] body)
    {
        var e = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(type, body));
        Assert.Equal(ProtocolErrorCode.MalformedMessage, e.Code);
        return e;
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void Every_truncation_of_every_message_is_rejected(int index)
    {
        WireMessage message = SampleMessages.All()[index];
        byte[] body = MessageCodec.Encode(message);
        for (int n = 0; n < body.Length; n++)
        {
            Rejects(message.Type, body[..n]);
        }
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void Bytes_after_the_message_array_are_rejected(int index)
    {
        WireMessage message = SampleMessages.All()[index];
        byte[] body = [.. MessageCodec.Encode(message), 0xc0];
        Assert.Contains("after the message array", Rejects(message.Type, body).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void A_body_that_is_not_an_array_or_has_too_few_fields_is_rejected(int index)
    {
        FrameType type = SampleMessages.All()[index].Type;
        Rejects(type, [0x80]);        // {}
        Rejects(type, [0x90]);        // []
        Rejects(type, [0xa2, 0x68, 0x69]); // "hi"
        Rejects(type, []);
    }

    [Fact]
    public void A_wrong_typed_field_is_rejected_with_its_name()
    {
        // Ping with a string nonce.
        Assert.Contains("nonce", Rejects(FrameType.Ping, [0x91, 0xa1, 0x41]).Message, StringComparison.Ordinal);
        // Have whose content id is 31 bytes.
        byte[] have = MessageCodec.Encode(SampleMessages.All()[2]);
        have[2] = 31;
        Assert.Contains("content_id", Rejects(FrameType.Have, have).Message, StringComparison.Ordinal);
        // Negative nonce.
        Rejects(FrameType.Ping, [0x91, 0xff]);
    }

    [Fact]
    public void Overlong_counts_and_strings_are_rejected_before_allocation()
    {
        // PeerList claiming 2^32-1 peers in a 6-byte body: refused as truncated before any element is read.
        Rejects(FrameType.PeerList, [0x91, 0xdd, 0xff, 0xff, 0xff, 0xff]);
        // PeerList of 65 (nil) peers: the count itself is over the cap.
        byte[] tooMany = [0x91, 0xdc, 0x00, 0x41, .. Enumerable.Repeat((byte)0xc0, 65)];
        Assert.Contains("expected 0..64", Rejects(FrameType.PeerList, tooMany).Message, StringComparison.Ordinal);
        // Bye whose text claims 2^32-1 bytes.
        Rejects(FrameType.Bye, [0x92, 0x0f, 0xdb, 0xff, 0xff, 0xff, 0xff]);
        // Bye with 600 bytes of text: above the cap though present.
        byte[] longText = [0x92, 0x0f, 0xda, 0x02, 0x58, .. Enumerable.Repeat((byte)'a', 600)];
        Assert.Contains("text", Rejects(FrameType.Bye, longText).Message, StringComparison.Ordinal);
        // Too many trailing elements.
        Rejects(FrameType.Ping, [0xdc, 0x00, 0x20, .. Enumerable.Repeat((byte)0x00, 32)]);
    }

    [Fact]
    public void Deep_nesting_in_trailing_elements_is_rejected_without_recursion_blowup()
    {
        byte[] body = [0x92, 0x01, .. Enumerable.Repeat((byte)0x91, 100_000), 0xc0];
        Assert.Contains("nesting", Rejects(FrameType.Ping, body).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_and_bad_want_ranges_are_rejected()
    {
        Rejects(FrameType.Bye, [0x92, 0x0f, 0xa2, 0xc3, 0x28]);
        byte[] id = SampleMessages.Bytes(1);
        byte[] overlapping = MessageCodec.Encode(new WantMessage(id, false, [new ChunkRange(0, 2)]));
        // Append a second range [1, 1] by rewriting the ranges array header from 1 to 2 elements.
        byte[] twoRanges = [.. overlapping[..^4], 0x92, 0x92, 0x00, 0x02, 0x92, 0x01, 0x01];
        Assert.Contains("overlaps", Rejects(FrameType.Want, twoRanges).Message, StringComparison.Ordinal);
        byte[] empty = MessageCodec.Encode(new WantMessage(id, false, [new ChunkRange(0, 1)]));
        empty[^1] = 0x00; // count 0
        Assert.Contains("empty", Rejects(FrameType.Want, empty).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_frame_type_without_a_message_is_unexpected()
    {
        var e = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(FrameType.HandshakeInit, new byte[] { 0x90 }));
        Assert.Equal(ProtocolErrorCode.UnexpectedFrameType, e.Code);
        e = Assert.Throws<ProtocolException>(() => MessageCodec.Decode<PongMessage>(FrameType.Ping, new byte[] { 0x91, 0x01 }));
        Assert.Equal(ProtocolErrorCode.UnexpectedFrameType, e.Code);
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void Every_field_replaced_by_a_value_of_another_type_is_rejected(int index)
    {
        WireMessage message = SampleMessages.All()[index];
        byte[] body = MessageCodec.Encode(message);
        var reader = new MessagePack.MessagePackReader(body);
        int fields = reader.ReadArrayHeader();
        var spans = new List<(int Start, int End, MessagePack.MessagePackType Type)>();
        for (int f = 0; f < fields; f++)
        {
            int start = (int)reader.Consumed;
            MessagePack.MessagePackType type = reader.NextMessagePackType;
            reader.Skip();
            spans.Add((start, (int)reader.Consumed, type));
        }

        (byte[] Bytes, MessagePack.MessagePackType Type)[] replacements =
        [
            ([0xc0], MessagePack.MessagePackType.Nil),
            ([0xc3], MessagePack.MessagePackType.Boolean),
            ([0xa1, 0x78], MessagePack.MessagePackType.String),
            ([0x90], MessagePack.MessagePackType.Array),
            ([0xcb, 0, 0, 0, 0, 0, 0, 0, 0], MessagePack.MessagePackType.Float),
        ];
        foreach ((int start, int end, MessagePack.MessagePackType type) in spans)
        {
            foreach ((byte[] bytes, MessagePack.MessagePackType replacementType) in replacements.Where(r => r.Type != type))
            {
                byte[] mutated = [.. body[..start], .. bytes, .. body[end..]];
                Rejects(message.Type, mutated);
            }
        }
    }
}
