using System.Buffers;

namespace FedMesh.Protocol.Wire;

/// <summary>
/// Pure frame parser over a (possibly multi-segment) buffer, in the System.IO.Pipelines style: on success the
/// buffer is sliced past the frame; on "need more" it is left untouched. The header is validated, including the
/// per-type cap, as soon as its 8 bytes are present, so an oversized frame is refused before its payload is read.
/// </summary>
public static class FrameReader
{
    /// <returns>True and the frame when a whole frame is buffered; false when more bytes are needed.</returns>
    /// <exception cref="ProtocolException">Bad version, nonzero flags, unknown type or over-cap length.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out Frame frame)
    {
        frame = default;
        if (!TryReadHeader(buffer, out FrameHeader header))
        {
            return false;
        }

        long total = FrameHeader.Size + (long)header.PayloadLength;
        if (buffer.Length < total)
        {
            return false;
        }

        frame = new Frame(header, buffer.Slice(FrameHeader.Size, header.PayloadLength));
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>
    /// How many bytes the next frame needs in all (header + payload) once its header is buffered, else the header's
    /// 8: what a reader waits for before <see cref="TryRead"/> can succeed, so it is not woken for every segment
    /// of a large frame. Call after <see cref="TryRead"/> returned false (which validated the header).
    /// </summary>
    public static long RequiredLength(in ReadOnlySequence<byte> buffer) =>
        TryReadHeader(buffer, out FrameHeader header) ? FrameHeader.Size + (long)header.PayloadLength : FrameHeader.Size;

    /// <summary>Parses and validates the leading 8-byte header once all of it is buffered.</summary>
    private static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        header = default;
        if (buffer.Length < FrameHeader.Size)
        {
            return false;
        }

        Span<byte> raw = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(raw);
        header = FrameHeader.Parse(raw);
        return true;
    }
}
