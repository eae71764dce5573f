using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// Announces that the sender holds a complete, verified delta (SPEC.md §4.4), so neighbours can Want it.
/// Layout: [content_id bin32, origin bin32, sequence u64, total_size u64, chunk_count u32]. The fields besides
/// the content id are hints for scheduling (skip stale origins, budget bandwidth); the signed manifest is the
/// authority and receivers re-check all of them against it.
/// </summary>
public sealed record HaveMessage(
    ReadOnlyMemory<byte> ContentId,
    ReadOnlyMemory<byte> Origin,
    ulong Sequence,
    ulong TotalSize,
    uint ChunkCount) : WireMessage
{
    public override FrameType Type => FrameType.Have;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 5;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
        CheckHash(ContentId, nameof(ContentId));
        CheckHash(Origin, nameof(Origin));
        Check(TotalSize is >= 1 and <= DeltaLimits.MaxTotalSize, $"total size must be 1..{DeltaLimits.MaxTotalSize}", nameof(TotalSize));
        Check(ChunkCount is >= 1 and <= DeltaLimits.MaxChunkCount, $"chunk count must be 1..{DeltaLimits.MaxChunkCount}", nameof(ChunkCount));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write(ContentId.Span);
        writer.Write(Origin.Span);
        writer.Write(Sequence);
        writer.Write(TotalSize);
        writer.Write(ChunkCount);
    }

    internal static HaveMessage Read(ref BodyReader reader)
    {
        byte[] id = reader.ReadFixedBin("content_id", MessageLimits.HashLength);
        byte[] origin = reader.ReadFixedBin("origin", MessageLimits.HashLength);
        ulong sequence = reader.ReadUInt64("sequence");
        ulong total = reader.ReadUInt64("total_size");
        if (total is 0 or > DeltaLimits.MaxTotalSize)
        {
            throw reader.Error($"total_size {total} outside 1..{DeltaLimits.MaxTotalSize}");
        }

        uint chunks = reader.ReadUInt32("chunk_count");
        if (chunks is 0 or > DeltaLimits.MaxChunkCount)
        {
            throw reader.Error($"chunk_count {chunks} outside 1..{DeltaLimits.MaxChunkCount}");
        }

        return new HaveMessage(id, origin, sequence, total, chunks);
    }
}
