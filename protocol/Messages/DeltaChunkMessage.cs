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

    internal override void Validate()
    {
        CheckHash(ContentId, nameof(ContentId));
        Check(Index < DeltaLimits.MaxChunkCount, $"index must be below {DeltaLimits.MaxChunkCount}", nameof(Index));
        Check(Data.Length is >= 1 and <= DeltaLimits.MaxChunkSize, $"data must be 1..{DeltaLimits.MaxChunkSize} bytes", nameof(Data));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write(ContentId.Span);
        writer.Write(Index);
        writer.Write(Data.Span);
    }

    internal static DeltaChunkMessage Read(ref BodyReader reader)
    {
        byte[] id = reader.ReadFixedBin("content_id", MessageLimits.HashLength);
        uint index = reader.ReadUInt32("index");
        if (index >= DeltaLimits.MaxChunkCount)
        {
            throw reader.Error($"index {index} beyond the {DeltaLimits.MaxChunkCount}-chunk cap");
        }

        byte[] data = reader.ReadBin("data", 1, DeltaLimits.MaxChunkSize).ToArray();
        return new DeltaChunkMessage(id, index, data);
    }
}
