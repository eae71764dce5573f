using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Messages;

public class MessageRoundTripTests
{
    public static TheoryData<int> Indices() => new(Enumerable.Range(0, SampleMessages.All().Count));

    [Theory]
    [MemberData(nameof(Indices))]
    public void Every_message_decodes_to_what_was_encoded_and_re_encodes_to_the_same_bytes(int index)
    {
        WireMessage message = SampleMessages.All()[index];
        byte[] body = MessageCodec.Encode(message);

        WireMessage back = MessageCodec.Decode(message.Type, body);

        Assert.Equal(message.GetType(), back.GetType());
        Assert.Equal(message.Type, back.Type);
        Assert.Equal(body, MessageCodec.Encode(back));
    }

    [Fact]
    public void Hello_fields_survive_the_round_trip()
    {
        HelloMessage hello = SampleMessages.Hello();
        var back = MessageCodec.Decode<HelloMessage>(FrameType.Hello, MessageCodec.Encode(hello));

        Assert.Equal(hello.ProtocolVersion, back.ProtocolVersion);
        Assert.Equal(hello.PublicKey.ToArray(), back.PublicKey.ToArray());
        Assert.Equal(hello.Capabilities, back.Capabilities);
        Assert.Equal(hello.MeshId.ToArray(), back.MeshId.ToArray());
        Assert.Equal(hello.BaseModelHash.ToArray(), back.BaseModelHash.ToArray());
        Assert.Equal(hello.AdapterSchemaHash.ToArray(), back.AdapterSchemaHash.ToArray());
        Assert.Equal(hello.ListenAddresses, back.ListenAddresses);
        Assert.Equal(hello.SoftwareVersion, back.SoftwareVersion);
    }

    [Fact]
    public void Want_ranges_and_reason_texts_survive_the_round_trip()
    {
        var want = (WantMessage)SampleMessages.All()[3];
        var wantBack = MessageCodec.Decode<WantMessage>(FrameType.Want, MessageCodec.Encode(want));
        Assert.True(wantBack.WantManifest);
        Assert.Equal(want.Ranges, wantBack.Ranges);

        var error = (ErrorMessage)SampleMessages.All()[9];
        var errorBack = MessageCodec.Decode<ErrorMessage>(FrameType.Error, MessageCodec.Encode(error));
        Assert.Equal(error, errorBack);
    }

    [Fact]
    public void Unknown_trailing_elements_are_skipped_for_forward_compatibility()
    {
        // Ping = [nonce]; a future version appends [nonce, "x", {1: [2]}].
        byte[] body = [0x93, 0x07, 0xa1, (byte)'x', 0x81, 0x01, 0x91, 0x02];
        Assert.Equal(new PingMessage(7), MessageCodec.Decode(FrameType.Ping, body));
    }

    [Fact]
    public void Unknown_error_codes_are_kept_as_numbers()
    {
        byte[] body = [0x92, 0xcd, 0x01, 0x00, 0xa0]; // [256, ""]
        var bye = MessageCodec.Decode<ByeMessage>(FrameType.Bye, body);
        Assert.Equal((ProtocolErrorCode)256, bye.Code);
    }

    [Fact]
    public void Encoding_refuses_a_message_that_breaks_a_cap()
    {
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(SampleMessages.Hello() with { PublicKey = new byte[31] }));
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new WantMessage(new byte[32], false, [])));
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new ByeMessage(ProtocolErrorCode.Shutdown, new string('x', MessageLimits.MaxReasonTextBytes + 1))));
    }

    [Fact]
    public void Maximal_messages_encode_to_the_documented_longest_body()
    {
        static string Text(int bytes, char c) => new(c, bytes);
        byte[] key = SampleMessages.Bytes(0xee);
        string[] addresses = Enumerable.Repeat(Text(MessageLimits.MaxAddressBytes, 'a'), MessageLimits.MaxAddresses).ToArray();
        WireMessage[] maximal =
        [
            new HelloMessage
            {
                ProtocolVersion = ushort.MaxValue,
                PublicKey = key,
                Capabilities = Enumerable.Repeat(Text(MessageLimits.MaxCapabilityBytes, 'c'), MessageLimits.MaxCapabilities).ToArray(),
                MeshId = key,
                BaseModelHash = key,
                AdapterSchemaHash = key,
                ListenAddresses = addresses,
                SoftwareVersion = Text(MessageLimits.MaxSoftwareVersionBytes, 'v'),
            },
            new PeerListMessage(Enumerable.Repeat(new PeerEntry(key, addresses), MessageLimits.MaxPeersPerList).ToArray()),
            new HaveMessage(key, key, ulong.MaxValue, DeltaLimits.MaxTotalSize, DeltaLimits.MaxChunkCount),
            new WantMessage(key, true, Enumerable.Range(0, MessageLimits.MaxWantRanges).Select(i => new ChunkRange((uint)(1000 + (i * 3)), 2)).ToArray()),
            new DeltaManifestMessage(new byte[DeltaLimits.MaxManifestBytes], new byte[64]),
            new DeltaChunkMessage(key, DeltaLimits.MaxChunkCount - 1, new byte[DeltaLimits.MaxChunkSize]),
            new PingMessage(ulong.MaxValue),
            new ByeMessage((ProtocolErrorCode)ushort.MaxValue, Text(MessageLimits.MaxReasonTextBytes, 't')),
        ];

        foreach (WireMessage m in maximal)
        {
            int length = MessageCodec.Encode(m).Length;
            if (m.Type == FrameType.Want)
            {
                Assert.InRange(length, MessageLimits.MaxV1BodyLength(m.Type) - (2 * MessageLimits.MaxWantRanges), MessageLimits.MaxV1BodyLength(m.Type));
            }
            else
            {
                Assert.Equal(MessageLimits.MaxV1BodyLength(m.Type), length);
            }
        }
    }
}
