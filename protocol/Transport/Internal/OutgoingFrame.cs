using System.Buffers;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// A queued body (a struct: queueing allocates nothing): the first <c>headLength</c> bytes of a pooled buffer,
/// followed by <see cref="Tail"/>, bytes the sender keeps unchanged until the frame is written (a DeltaChunk's
/// data, a slice of an immutable payload). The write loop copies the tail once, straight into the frame it
/// encrypts; every other body is all head.
/// </summary>
internal readonly struct OutgoingFrame(FrameType type, byte[] head, int headLength, ReadOnlyMemory<byte> tail = default)
{
    public FrameType Type { get; } = type;

    public ReadOnlySpan<byte> Head => head.AsSpan(0, headLength);

    public ReadOnlyMemory<byte> Tail { get; } = tail;

    /// <summary>Body length: head plus tail.</summary>
    public int Length => headLength + Tail.Length;

    public static OutgoingFrame Copy(FrameType type, ReadOnlySpan<byte> body)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(buffer);
        return new OutgoingFrame(type, buffer, body.Length);
    }

    /// <summary>
    /// Encrypts the body into <paramref name="destination"/> (header ‖ ciphertext ‖ tag). A body with a tail is
    /// assembled in the destination (head, then the tail's single copy) and sealed in place; a head-only body
    /// is sealed from its pooled buffer. Returns the bytes written.
    /// </summary>
    public int Seal(FrameProtector sender, Span<byte> destination)
    {
        if (Tail.IsEmpty)
        {
            return sender.Seal(Type, Head, destination);
        }

        Span<byte> body = destination.Slice(FrameHeader.Size, Length);
        Head.CopyTo(body);
        Tail.Span.CopyTo(body[headLength..]);
        return sender.Seal(Type, body, destination);
    }

    public void Return() => ArrayPool<byte>.Shared.Return(head);
}
