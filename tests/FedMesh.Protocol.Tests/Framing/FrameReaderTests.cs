using System.Buffers;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Framing;

public class FrameReaderTests
{
    private static byte[] Frames(params (FrameType Type, byte[] Payload)[] frames)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach ((FrameType type, byte[] payload) in frames)
        {
            FrameWriter.Write(writer, type, payload);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static readonly (FrameType, byte[])[] Sample =
    [
        (FrameType.Ping, [1, 2, 3]),
        (FrameType.Hello, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()),
        (FrameType.Bye, []),
    ];

    private static List<(FrameType, byte[])> ReadAll(ReadOnlySequence<byte> buffer)
    {
        var result = new List<(FrameType, byte[])>();
        while (FrameReader.TryRead(ref buffer, out Frame frame))
        {
            result.Add((frame.Type, frame.Payload.ToArray()));
        }

        Assert.Equal(0, buffer.Length);
        return result;
    }

    [Fact]
    public void Frame_vector_matches_the_spec()
    {
        byte[] payload = SpecVectors.Bytes("frame", "payload");
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.Write(writer, (FrameType)SpecVectors.Bytes("frame", "type")[0], payload);
        Assert.Equal(SpecVectors.Text("frame", "frame"), Convert.ToHexStringLower(writer.WrittenSpan));
    }

    [Fact]
    public void Frames_split_at_every_byte_are_read_whole()
    {
        byte[] data = Frames(Sample);
        for (int cut = 0; cut <= data.Length; cut++)
        {
            List<(FrameType, byte[])> read = ReadAll(Segments.Split(data, cut));
            Assert.Equal(Sample.Length, read.Count);
            for (int i = 0; i < Sample.Length; i++)
            {
                Assert.Equal(Sample[i].Item1, read[i].Item1);
                Assert.Equal(Sample[i].Item2, read[i].Item2);
            }
        }
    }

    [Fact]
    public void Frames_over_one_byte_segments_are_read_whole()
    {
        byte[] data = Frames(Sample);
        List<(FrameType, byte[])> read = ReadAll(Segments.Split(data, Enumerable.Range(1, data.Length).ToArray()));
        Assert.Equal(Sample.Select(s => s.Item2), read.Select(r => r.Item2));
    }

    [Fact]
    public void Every_incomplete_prefix_returns_false_and_leaves_the_buffer()
    {
        byte[] data = Frames((FrameType.Have, [9, 8, 7, 6]));
        for (int length = 0; length < data.Length; length++)
        {
            var buffer = Segments.Split(data[..length], length / 2);
            Assert.False(FrameReader.TryRead(ref buffer, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Theory]
    [InlineData("0216000000000000", ProtocolErrorCode.UnsupportedVersion)]
    [InlineData("0116000100000000", ProtocolErrorCode.MalformedFrame)]
    [InlineData("0116800000000000", ProtocolErrorCode.MalformedFrame)]
    [InlineData("0142000000000000", ProtocolErrorCode.UnexpectedFrameType)]
    [InlineData("0100000000000000", ProtocolErrorCode.UnexpectedFrameType)]
    [InlineData("0116000000000041", ProtocolErrorCode.FrameTooLarge)]
    [InlineData("01010000ffffffff", ProtocolErrorCode.FrameTooLarge)]
    [InlineData("0115000000100101", ProtocolErrorCode.FrameTooLarge)]
    public void Bad_headers_throw_with_the_reason_before_the_payload_arrives(string header, ProtocolErrorCode code)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(header));
        var e = Assert.Throws<ProtocolException>(() => FrameReader.TryRead(ref buffer, out _));
        Assert.Equal(code, e.Code);
    }

    [Fact]
    public void A_payload_exactly_at_the_cap_is_accepted()
    {
        byte[] data = Frames((FrameType.Ping, new byte[FrameLimits.PingPong]));
        var buffer = new ReadOnlySequence<byte>(data);
        Assert.True(FrameReader.TryRead(ref buffer, out Frame frame));
        Assert.Equal(FrameLimits.PingPong, frame.Payload.Length);
    }

    [Fact]
    public void Writer_refuses_a_payload_over_the_cap()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.Write(writer, FrameType.Ping, new byte[FrameLimits.PingPong + 1]));
    }

    [Fact]
    public void RequiredLength_is_the_header_until_it_arrives_then_header_plus_payload()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.Write(writer, FrameType.Have, new byte[300]);
        byte[] frame = writer.WrittenSpan.ToArray();
        Assert.Equal(FrameHeader.Size, FrameReader.RequiredLength(ReadOnlySequence<byte>.Empty));
        Assert.Equal(FrameHeader.Size, FrameReader.RequiredLength(new ReadOnlySequence<byte>(frame, 0, FrameHeader.Size - 1)));
        for (int cut = FrameHeader.Size; cut < frame.Length; cut += 50)
        {
            var partial = new ReadOnlySequence<byte>(frame, 0, cut);
            Assert.False(FrameReader.TryRead(ref partial, out _));
            Assert.Equal(frame.Length, FrameReader.RequiredLength(partial));
        }
    }

    [Fact]
    public void Every_frame_type_has_a_cap_within_the_largest()
    {
        foreach (FrameType type in Enum.GetValues<FrameType>())
        {
            Assert.InRange(FrameLimits.MaxPayload(type), FrameLimits.AeadTagSize, FrameLimits.MaxAnyPayload);
        }
    }
}
