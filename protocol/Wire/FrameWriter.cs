using System.Buffers;

namespace FedMesh.Protocol.Wire;

/// <summary>Writes plaintext frames (header ‖ payload) into an <see cref="IBufferWriter{T}"/>.</summary>
public static class FrameWriter
{
    /// <summary>Writes one frame; the payload must fit the type's cap (SPEC.md §7).</summary>
    public static void Write(IBufferWriter<byte> output, FrameType type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckLength(type, payload.Length);
        int total = FrameHeader.Size + payload.Length;
        Span<byte> span = output.GetSpan(total);
        new FrameHeader(type, payload.Length).Write(span);
        payload.CopyTo(span[FrameHeader.Size..]);
        output.Advance(total);
    }

    /// <summary>Throws when a payload of this length would be refused by the receiver.</summary>
    public static void CheckLength(FrameType type, int payloadLength)
    {
        int max = FrameLimits.MaxPayload(type);
        if ((uint)payloadLength > (uint)max)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, $"{type} payload cap is {max} bytes");
        }
    }
}
