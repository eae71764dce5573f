using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>A run of chunk indices [Start, Start + Count).</summary>
public readonly record struct ChunkRange(uint Start, uint Count)
{
    /// <summary>One past the last index; computed in 64 bits so a hostile range cannot wrap.</summary>
    public ulong End => (ulong)Start + Count;
}

/// <summary>
/// Requests a delta's manifest and/or some of its chunks (SPEC.md §4.5). Because a receiver names exactly the
/// chunks it still lacks, a transfer interrupted on one connection resumes from any peer that has the delta.
/// Layout: [content_id bin32, want_manifest bool, ranges [[start u32, count u32]…]]. Ranges are in strictly
/// increasing order, non-overlapping, each count ≥ 1, within <see cref="DeltaLimits.MaxChunkCount"/>.
/// </summary>
public sealed record WantMessage(ReadOnlyMemory<byte> ContentId, bool WantManifest, IReadOnlyList<ChunkRange> Ranges) : WireMessage
{
    public override FrameType Type => FrameType.Want;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 3;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
        CheckHash(ContentId, nameof(ContentId));
        Check(Ranges is not null && Ranges.Count <= MessageLimits.MaxWantRanges, $"at most {MessageLimits.MaxWantRanges} ranges", nameof(Ranges));
        Check(WantManifest || Ranges!.Count > 0, "a Want must ask for the manifest or at least one chunk", nameof(Ranges));
        string? rangeError = RangeError(Ranges!);
        Check(rangeError is null, rangeError ?? string.Empty, nameof(Ranges));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write(ContentId.Span);
        writer.Write(WantManifest);
        writer.WriteArrayHeader(Ranges.Count);
        foreach (ChunkRange r in Ranges)
        {
            writer.WriteArrayHeader(2);
            writer.Write(r.Start);
            writer.Write(r.Count);
        }
    }

    internal static WantMessage Read(ref BodyReader reader)
    {
        byte[] id = reader.ReadFixedBin("content_id", MessageLimits.HashLength);
        bool manifest = reader.ReadBoolean("want_manifest");
        int count = reader.ReadArrayHeader("ranges", 0, MessageLimits.MaxWantRanges);
        var ranges = new ChunkRange[count];
        for (int i = 0; i < count; i++)
        {
            reader.ReadArrayHeader("range", 2, 2);
            ranges[i] = new ChunkRange(reader.ReadUInt32("range.start"), reader.ReadUInt32("range.count"));
        }

        if (RangeError(ranges) is { } error)
        {
            throw reader.Error(error);
        }

        if (!manifest && count == 0)
        {
            throw reader.Error("asks for neither the manifest nor any chunk");
        }

        return new WantMessage(id, manifest, ranges);
    }

    /// <summary>Null when the ranges are sorted, disjoint, non-empty and inside the chunk-count cap.</summary>
    private static string? RangeError(IReadOnlyList<ChunkRange> ranges)
    {
        ulong previousEnd = 0;
        for (int i = 0; i < ranges.Count; i++)
        {
            ChunkRange r = ranges[i];
            if (r.Count == 0)
            {
                return $"range {i} is empty";
            }

            if (r.End > DeltaLimits.MaxChunkCount)
            {
                return $"range {i} ends at {r.End}, beyond the {DeltaLimits.MaxChunkCount}-chunk cap";
            }

            if (i > 0 && r.Start < previousEnd)
            {
                return $"range {i} overlaps or precedes range {i - 1}";
            }

            previousEnd = r.End;
        }

        return null;
    }
}
