using System.Buffers;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// One decrypted message body, in a buffer rented from <see cref="ArrayPool{T}.Shared"/>, or a DeltaChunk whose data
/// the read loop decrypted into a slot of <see cref="SecureConnection.ChunkSlots"/> (<see cref="PlacedChunk"/>).
/// Dispose it exactly once when done to return the buffer or free an unaccepted slot (a struct, so receiving
/// allocates nothing).
/// </summary>
public readonly struct ReceivedFrame : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;
    private readonly IChunkSlots? _slots;

    internal ReceivedFrame(FrameType type, byte[] buffer, int length)
    {
        Type = type;
        _buffer = buffer;
        _length = length;
    }

    internal ReceivedFrame(DeltaChunkMessage placed, IChunkSlots slots, int length)
    {
        Type = FrameType.DeltaChunk;
        PlacedChunk = placed;
        _slots = slots;
        _length = length;
    }

    public FrameType Type { get; }

    /// <summary>The decrypted body's length in bytes, a <see cref="PlacedChunk"/>'s included (what a receiver counts as
    /// received: <see cref="Body"/> is empty for one).</summary>
    public int Length => _length;

    /// <summary>The body; empty for a <see cref="PlacedChunk"/> (its data is in its slot, not here).</summary>
    public ReadOnlyMemory<byte> Body => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    /// <summary>
    /// A DeltaChunk whose frame authenticated and whose <see cref="DeltaChunkMessage.Data"/> is the slot reserved
    /// for it (hand it to the assembler that reserved it, which then hashes it where it lies); null for every
    /// frame delivered in a buffer, which <see cref="Body"/> holds.
    /// </summary>
    public DeltaChunkMessage? PlacedChunk { get; }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        if (PlacedChunk is not null)
        {
            _slots!.Release(PlacedChunk.Index);
        }
    }
}
