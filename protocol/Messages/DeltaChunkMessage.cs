using System.Buffers;
using System.Buffers.Binary;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// One chunk of a delta's payload (SPEC.md §4.7). Layout: [content_id bin32, index u32, data bin].
/// The receiver checks the data against the chunk hash in the verified manifest (<see cref="DeltaAssembler"/>).
/// </summary>
public sealed record DeltaChunkMessage(ReadOnlyMemory<byte> ContentId, uint Index, ReadOnlyMemory<byte> Data) : WireMessage
{
    public override FrameType Type => FrameType.DeltaChunk;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 3;

    internal override int FieldCount => Fields;

    /// <summary>
    /// Upper bound of the encoding: array header (1) + bin8 header and id (2 + 32) + u32 (5) + bin32 header (5)
    /// + data. Sizing the output once avoids regrowing (and re-copying) a 1 MiB buffer per chunk.
    /// </summary>
    internal override int SizeHint => 1 + 2 + MessageLimits.HashLength + 5 + 5 + Data.Length;

    internal override void Validate()
    {
        CheckHash(ContentId, nameof(ContentId));
        Check(Index < DeltaLimits.MaxChunkCount, $"index must be below {DeltaLimits.MaxChunkCount}", nameof(Index));
        Check(Data.Length is >= 1 and <= DeltaLimits.MaxChunkSize, $"data must be 1..{DeltaLimits.MaxChunkSize} bytes", nameof(Data));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        WriteHead(ref writer);
        writer.WriteRaw(Data.Span);
    }

    /// <summary>
    /// The fields up to the data bytes (id, index, the data's bin header): the send path encodes this much when
    /// the chunk is queued and appends <see cref="Data"/> straight into the frame buffer when it is written
    /// (<see cref="MessageCodec.EncodePooledHead"/>), which gives exactly the bytes of
    /// <see cref="MessageCodec.Encode(WireMessage)"/>.
    /// </summary>
    internal void WriteHead(ref MessagePackWriter writer)
    {
        writer.Write(ContentId.Span);
        writer.Write(Index);
        writer.WriteBinHeader(Data.Length);
    }

    /// <summary>
    /// Longest head (<see cref="WriteHead"/>) of the v1 layout: array header (1), the id's bin8 header and bytes
    /// (2 + 32), the index as a u32 (5) and the data's bin32 header (5).
    /// </summary>
    internal const int MaxHeadLength = 1 + 2 + MessageLimits.HashLength + 5 + 5;

    /// <summary>
    /// Reads the head of a DeltaChunk body from its first bytes (at least <see cref="MaxHeadLength"/> of them, or the
    /// whole body) when the body has exactly the v1 layout this implementation writes: 3 elements, a bin8 id of 32
    /// bytes, the index as an unsigned integer below the cap, then a bin whose 1..<see cref="DeltaLimits.MaxChunkSize"/>
    /// bytes end exactly at <paramref name="bodyLength"/>. False for anything else, which then takes the full decode
    /// (<see cref="MessageCodec"/>), where it is accepted or refused with its reason: this only recognises the
    /// common case, it never accepts a body the full decode would refuse. The read loop uses it to learn where a
    /// chunk's data belongs before decrypting the data.
    /// </summary>
    internal static bool TryReadHead(ReadOnlySpan<byte> prefix, int bodyLength, out byte[] contentId, out uint index, out int headLength)
    {
        contentId = [];
        index = 0;
        headLength = 0;
        const int idStart = 3;
        const int indexAt = idStart + MessageLimits.HashLength;
        if (prefix.Length < Math.Min(MaxHeadLength, bodyLength) || prefix.Length <= indexAt
            || prefix[0] != 0x93 || prefix[1] != 0xc4 || prefix[2] != MessageLimits.HashLength)
        {
            return false;
        }

        // MessagePack unsigned integers: positive fixint, uint8 (0xcc), uint16 (0xcd), uint32 (0xce), big-endian.
        int at = indexAt + 1;
        switch (prefix[indexAt])
        {
            case <= 0x7f:
                index = prefix[indexAt];
                break;
            case 0xcc when prefix.Length >= at + 1:
                index = prefix[at];
                at += 1;
                break;
            case 0xcd when prefix.Length >= at + 2:
                index = BinaryPrimitives.ReadUInt16BigEndian(prefix[at..]);
                at += 2;
                break;
            case 0xce when prefix.Length >= at + 4:
                index = BinaryPrimitives.ReadUInt32BigEndian(prefix[at..]);
                at += 4;
                break;
            default:
                return false;
        }

        // The data's bin header: bin8 (0xc4), bin16 (0xc5) or bin32 (0xc6) with a big-endian length.
        if (prefix.Length < at + 1)
        {
            return false;
        }

        (int lengthBytes, byte marker) = (prefix[at] switch { 0xc4 => 1, 0xc5 => 2, 0xc6 => 4, _ => 0 }, prefix[at]);
        if (lengthBytes == 0 || prefix.Length < at + 1 + lengthBytes)
        {
            return false;
        }

        ReadOnlySpan<byte> field = prefix.Slice(at + 1, lengthBytes);
        long dataLength = marker switch
        {
            0xc4 => field[0],
            0xc5 => BinaryPrimitives.ReadUInt16BigEndian(field),
            _ => BinaryPrimitives.ReadUInt32BigEndian(field),
        };
        int head = at + 1 + lengthBytes;
        if (index >= DeltaLimits.MaxChunkCount || dataLength is < 1 or > DeltaLimits.MaxChunkSize || head + dataLength != bodyLength)
        {
            return false;
        }

        contentId = prefix.Slice(idStart, MessageLimits.HashLength).ToArray();
        headLength = head;
        return true;
    }

    /// <param name="borrow">True: <see cref="Data"/> aliases the decoded body instead of a copy of it
    /// (see <see cref="MessageCodec.DecodeBorrowed"/>).</param>
    internal static DeltaChunkMessage Read(ref BodyReader reader, bool borrow)
    {
        byte[] id = reader.ReadFixedBin("content_id", MessageLimits.HashLength);
        uint index = reader.ReadUInt32("index");
        if (index >= DeltaLimits.MaxChunkCount)
        {
            throw reader.Error($"index {index} beyond the {DeltaLimits.MaxChunkCount}-chunk cap");
        }

        ReadOnlySequence<byte> data = reader.ReadBin("data", 1, DeltaLimits.MaxChunkSize);
        return new DeltaChunkMessage(id, index, borrow && data.IsSingleSegment ? data.First : data.ToArray());
    }
}
