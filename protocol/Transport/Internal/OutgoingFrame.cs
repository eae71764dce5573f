using System.Buffers;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// A queued body (a struct: queueing allocates nothing): the first <c>headLength</c> bytes of a pooled buffer,
/// followed by <see cref="Tail"/>, bytes the sender keeps unchanged until the frame is written (a DeltaChunk's
/// data, a slice of an immutable payload). The write loop encrypts the tail from where it lies into the frame
/// (<see cref="Seal"/>); every other body is all head.
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
    /// Encrypts the body into <paramref name="destination"/> (header ‖ ciphertext ‖ tag) and returns the bytes
    /// written. A tail is read where it lies when the suite's AEAD takes the body in pieces (AEGIS-256 on AES-NI):
    /// no copy of a chunk's data before it is encrypted; other suites join head and tail in the destination first.
    /// </summary>
    public int Seal(FrameProtector sender, Span<byte> destination) => sender.Seal(Type, Head, Tail.Span, destination);

    public void Return() => ArrayPool<byte>.Shared.Return(head);
}
