using System.Buffers.Binary;

namespace FedMesh.Protocol.Wire;

/// <summary>
/// The 8-byte frame header (SPEC.md §2): version ‖ type ‖ u16 flags (0) ‖ u32 big-endian payload length.
/// After the handshake the header is also the AEAD associated data of its frame (§3.5), so a flipped type or
/// length is caught by authentication even where the header checks alone would pass.
/// </summary>
public readonly record struct FrameHeader(FrameType Type, int PayloadLength)
{
    /// <summary>Header size on the wire.</summary>
    public const int Size = 8;

    /// <summary>The only protocol version this implementation speaks (SPEC.md §2).</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = CurrentVersion;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)PayloadLength);
    }

    /// <summary>
    /// Parses and validates a header: version, flags, known type and the per-type cap (SPEC.md §7).
    /// Runs before any payload byte is buffered, so an over-cap length never costs memory.
    /// </summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> header)
    {
        if (header.Length < Size)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"frame header is {Size} bytes, got {header.Length}");
        }

        if (header[0] != CurrentVersion)
        {
            throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion, $"frame version {header[0]} is not supported (this node speaks {CurrentVersion})");
        }

        var type = (FrameType)header[1];
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (flags != 0)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"frame flags must be 0, got 0x{flags:x4}");
        }

        if (!FrameLimits.IsKnown(type))
        {
            throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"unknown frame type 0x{header[1]:x2}");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        int max = FrameLimits.MaxPayload(type);
        if (length > (uint)max)
        {
            throw new ProtocolException(ProtocolErrorCode.FrameTooLarge, $"{type} frame payload of {length} bytes exceeds its cap of {max} bytes");
        }

        return new FrameHeader(type, (int)length);
    }
}
