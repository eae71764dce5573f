using System.Buffers;
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
