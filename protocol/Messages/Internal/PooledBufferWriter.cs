using System.Buffers;

namespace FedMesh.Protocol.Messages.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one array rented from <see cref="ArrayPool{T}.Shared"/>: encoding a
/// 1 MiB DeltaChunk into it allocates nothing on the large-object heap, and <see cref="Detach"/> hands the array
/// to the send queue without another copy. Sized up front from <see cref="WireMessage.SizeHint"/>, so it
/// normally never regrows; when it does, it doubles (one copy, amortised).
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 1));

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException($"advanced {count} bytes past the {_buffer.Length - _written} available");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Gives the rented array (the first <see cref="WrittenCount"/> bytes are the output) to the caller,
    /// who must return it to <see cref="ArrayPool{T}.Shared"/>; this writer then holds nothing.</summary>
    public byte[] Detach()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        return buffer;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _written = 0;
    }

    private void Reserve(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_buffer.Length * 2), checked(_written + needed)));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
