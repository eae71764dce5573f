using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>
/// <see cref="DeltaChunkMessage.TryReadHead"/>, which the read loop uses to place a chunk before decrypting its data:
/// it reads what the full decode reads for every index and data size the encoder writes, and declines anything else.
/// </summary>
public class ChunkHeadTests
{
    private static readonly byte[] Id = Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray();

    [Theory]
    [InlineData(0u, 1)]
    [InlineData(127u, 255)]
    [InlineData(128u, 256)]
    [InlineData(255u, 65_535)]
    [InlineData(256u, 65_536)]
    [InlineData(DeltaLimits.MaxChunkCount - 1, 1 << 20)]
    [InlineData(DeltaLimits.MaxChunkCount - 1, 3)]
    public void Reads_what_the_full_decode_reads(uint index, int dataLength)
    {
        byte[] data = Enumerable.Range(0, dataLength).Select(i => (byte)i).ToArray();
        byte[] body = MessageCodec.Encode(new DeltaChunkMessage(Id, index, data));
        var decoded = (DeltaChunkMessage)MessageCodec.Decode(Wire.FrameType.DeltaChunk, body);

        Assert.True(DeltaChunkMessage.TryReadHead(body.AsSpan(0, Math.Min(48, body.Length)), body.Length, out byte[] id, out uint readIndex, out int head));
        Assert.Equal(decoded.ContentId.ToArray(), id);
        Assert.Equal(decoded.Index, readIndex);
        Assert.Equal(data, body[head..]);
        Assert.True(head <= DeltaChunkMessage.MaxHeadLength);
    }

    [Fact]
    public void Declines_bodies_it_does_not_recognise_exactly()
    {
        byte[] body = MessageCodec.Encode(new DeltaChunkMessage(Id, 300, new byte[1000]));
        bool Reads(byte[] b, int? length = null) => DeltaChunkMessage.TryReadHead(b.AsSpan(0, Math.Min(48, b.Length)), length ?? b.Length, out _, out _, out _);
        Assert.True(Reads(body));

        // Trailing bytes after the data, a truncated body, a 4-element array, a 31-byte id, a signed index, a str
        // instead of bin: each left to the full decode (which accepts or refuses it with its reason).
        Assert.False(Reads(body, body.Length + 1));
        Assert.False(Reads(body, body.Length - 1));
        byte[] fourFields = (byte[])body.Clone();
        fourFields[0] = 0x94;
        Assert.False(Reads(fourFields));
        byte[] shortId = (byte[])body.Clone();
        shortId[2] = 31;
        Assert.False(Reads(shortId));
        byte[] signedIndex = (byte[])body.Clone();
        signedIndex[35] = 0xd1;
        Assert.False(Reads(signedIndex));
        byte[] str = (byte[])body.Clone();
        str[38] = 0xda;
        Assert.False(Reads(str));
        Assert.False(Reads(body[..20]));
    }
}
