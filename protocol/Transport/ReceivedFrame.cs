using System.Buffers;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// One decrypted message body, in a buffer rented from <see cref="ArrayPool{T}.Shared"/>. Dispose it exactly
/// once when done with <see cref="Body"/> to return the buffer (a struct, so receiving allocates nothing).
/// </summary>
public readonly struct ReceivedFrame : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;

    internal ReceivedFrame(FrameType type, byte[] buffer, int length)
    {
        Type = type;
        _buffer = buffer;
        _length = length;
    }

    public FrameType Type { get; }

    public ReadOnlyMemory<byte> Body => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
