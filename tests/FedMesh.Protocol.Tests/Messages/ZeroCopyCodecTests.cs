using System.Buffers;
using System.Runtime.InteropServices;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>The send/receive fast paths (pooled encode, borrowed decode) produce and accept exactly what the
/// plain codec does.</summary>
public sealed class ZeroCopyCodecTests
{
    /// <summary>Data lengths at the bin8/bin16/bin32 header boundaries and the chunk cap.</summary>
    public static TheoryData<int> ChunkLengths() => new(1, 255, 256, 65535, 65536, DeltaLimits.MaxChunkSize);

    private static DeltaChunkMessage Chunk(int length) =>
        new(SampleMessages.Bytes(0xc1), 7, Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray());

    [Theory]
    [MemberData(nameof(MessageRoundTripTests.Indices), MemberType = typeof(MessageRoundTripTests))]
    public void Every_message_decoded_borrowed_re_encodes_to_the_same_bytes(int index)
    {
        WireMessage message = SampleMessages.All()[index];
        byte[] body = MessageCodec.Encode(message);

        WireMessage borrowed = MessageCodec.DecodeBorrowed(message.Type, body);

        Assert.Equal(body, MessageCodec.Encode(borrowed));
    }

    [Theory]
    [MemberData(nameof(ChunkLengths))]
    public void Pooled_encode_equals_the_streamed_encode_and_stays_within_the_size_hint(int length)
    {
        DeltaChunkMessage chunk = Chunk(length);
        var streamed = new ArrayBufferWriter<byte>(16);
        MessageCodec.Encode(chunk, streamed);

        byte[] pooled = MessageCodec.EncodePooled(chunk, out int written);
        try
        {
            Assert.Equal(streamed.WrittenSpan.ToArray(), pooled.AsSpan(0, written).ToArray());
            Assert.Equal(streamed.WrittenSpan.ToArray(), MessageCodec.Encode(chunk));
            Assert.InRange(written, 1, chunk.SizeHint);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }

    /// <summary>The send path's head (everything but the data) followed by the data is the codec's body, for
    /// indices at the positive-fixint/u8/u16 boundaries up to the last allowed one and data at the bin8/bin16/bin32 boundaries.</summary>
    [Theory]
    [InlineData(0u, 1)]
    [InlineData(127u, 255)]
    [InlineData(128u, 256)]
    [InlineData(255u, 65535)]
    [InlineData(256u, 65536)]
    [InlineData(DeltaLimits.MaxChunkCount - 1, DeltaLimits.MaxChunkSize)]
    public void Pooled_head_followed_by_the_data_equals_the_codec_encoding(uint index, int length)
    {
        DeltaChunkMessage chunk = Chunk(length) with { Index = index };

        byte[] head = MessageCodec.EncodePooledHead(chunk, out int headLength);
        try
        {
            byte[] body = [.. head.AsSpan(0, headLength), .. chunk.Data.Span];
            Assert.Equal(MessageCodec.Encode(chunk), body);
            Assert.InRange(headLength, 1, chunk.SizeHint - length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    [Fact]
    public void Pooled_head_refuses_what_the_codec_refuses()
    {
        DeltaChunkMessage empty = Chunk(1) with { Data = ReadOnlyMemory<byte>.Empty };

        Assert.Throws<ArgumentException>(() => MessageCodec.EncodePooledHead(empty, out _));
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(empty));
    }

    [Fact]
    public void Borrowed_chunk_data_is_a_slice_of_the_body_not_a_copy()
    {
        byte[] body = MessageCodec.Encode(Chunk(DeltaLimits.MaxChunkSize));

        var chunk = (DeltaChunkMessage)MessageCodec.DecodeBorrowed(FrameType.DeltaChunk, body);

        Assert.True(MemoryMarshal.TryGetArray(chunk.Data, out ArraySegment<byte> segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(body.Length - DeltaLimits.MaxChunkSize, segment.Offset);
        Assert.True(chunk.Data.Span.SequenceEqual(Chunk(DeltaLimits.MaxChunkSize).Data.Span));
    }

    [Fact]
    public void Plain_decode_copies_chunk_data_so_it_outlives_the_body()
    {
        byte[] body = MessageCodec.Encode(Chunk(1000));
        var chunk = (DeltaChunkMessage)MessageCodec.Decode(FrameType.DeltaChunk, body);

        body.AsSpan().Clear();

        Assert.True(chunk.Data.Span.SequenceEqual(Chunk(1000).Data.Span));
    }

    [Fact]
    public void Borrowed_decode_rejects_a_truncated_chunk_like_the_plain_decode()
    {
        byte[] body = MessageCodec.Encode(Chunk(1000));
        ReadOnlyMemory<byte> truncated = body.AsMemory(0, body.Length - 1);

        ProtocolException plain = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(FrameType.DeltaChunk, truncated));
        ProtocolException borrowed = Assert.Throws<ProtocolException>(() => MessageCodec.DecodeBorrowed(FrameType.DeltaChunk, truncated));

        Assert.Equal(ProtocolErrorCode.MalformedMessage, borrowed.Code);
        Assert.Equal(plain.Message, borrowed.Message);
    }

    [Fact]
    public void Pooled_writer_keeps_its_contents_when_it_grows_past_the_initial_size()
    {
        using var writer = new PooledBufferWriter(4);
        byte[] expected = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        for (int i = 0; i < expected.Length; i += 100)
        {
            expected.AsSpan(i, 100).CopyTo(writer.GetSpan(100));
            writer.Advance(100);
        }

        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        Assert.Throws<InvalidOperationException>(() => writer.Advance(writer.GetSpan().Length + 1));
    }
}
