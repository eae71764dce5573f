using System.Buffers;

namespace FedMesh.Protocol.Wire;

/// <summary>
/// One parsed frame: its header and its payload, a slice of the reader's buffer (valid only until the buffer
/// is advanced past it). For encrypted types the payload is ciphertext ‖ tag.
/// </summary>
public readonly record struct Frame(FrameHeader Header, ReadOnlySequence<byte> Payload)
{
    public FrameType Type => Header.Type;
}
