using System.Buffers;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>A queued body in a pooled buffer (a struct: queueing allocates nothing).</summary>
internal readonly struct OutgoingFrame(FrameType type, byte[] buffer, int length)
{
    public FrameType Type { get; } = type;

    public ReadOnlySpan<byte> Body => buffer.AsSpan(0, length);

    public int Length => length;

    public static OutgoingFrame Copy(FrameType type, ReadOnlySpan<byte> body)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(buffer);
        return new OutgoingFrame(type, buffer, body.Length);
    }

    public void Return() => ArrayPool<byte>.Shared.Return(buffer);
}
