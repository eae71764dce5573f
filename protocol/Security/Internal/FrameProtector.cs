using System.Buffers.Binary;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// One direction of the secure channel (SPEC.md §3.5): an AEAD key and an implicit 64-bit frame counter.
/// The nonce is 4 zero bytes ‖ u64 big-endian counter, and the counter is never sent, so a replayed, dropped
/// or reordered frame is opened with the wrong nonce and fails authentication. Not thread-safe: each
/// direction is driven by exactly one loop.
/// </summary>
internal sealed class FrameProtector : IDisposable
{
    /// <summary>
    /// Frames per direction before the connection must be re-established: 2^32 keeps AES-GCM far inside the
    /// SP 800-38D usage bound for one key, and at ≤ 1 MiB per frame it is 4 PiB, never reached in practice.
    /// </summary>
    public const ulong MaxFrames = 1UL << 32;

    private readonly Aead _aead;
    private ulong _counter;

    public FrameProtector(CipherSuite suite, ReadOnlySpan<byte> key) => _aead = Aead.Create(suite, key);

    public ulong Counter => _counter;

    /// <summary>
    /// Writes header ‖ ciphertext ‖ tag of one frame into <paramref name="destination"/>
    /// (length 8 + body + 16). Returns the bytes written.
    /// </summary>
    public int Seal(FrameType type, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        int payload = body.Length + Aead.TagSize;
        FrameWriter.CheckLength(type, payload);
        var header = new FrameHeader(type, payload);
        header.Write(destination);
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        NextNonce(nonce);
        Span<byte> ciphertext = destination.Slice(FrameHeader.Size, body.Length);
        _aead.Seal(nonce, body, ciphertext, destination.Slice(FrameHeader.Size + body.Length, Aead.TagSize), destination[..FrameHeader.Size]);
        return FrameHeader.Size + payload;
    }

    /// <summary>Decrypts in place; the body is the first payload.Length − 16 bytes afterwards.</summary>
    public int OpenInPlace(FrameHeader header, Span<byte> payload) => Open(header, payload, payload);

    /// <summary>
    /// Authenticates and decrypts a frame's payload (ciphertext ‖ tag) into <paramref name="destination"/>
    /// (at least payload.Length − 16 bytes; may be the payload itself). Returns the body length.
    /// </summary>
    /// <exception cref="ProtocolException">DecryptFailed: tampered, replayed, reordered or too short.</exception>
    public int Open(FrameHeader header, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (payload.Length < Aead.TagSize)
        {
            throw new ProtocolException(ProtocolErrorCode.DecryptFailed, $"{header.Type} payload of {payload.Length} bytes is shorter than the {Aead.TagSize}-byte tag");
        }

        Span<byte> ad = stackalloc byte[FrameHeader.Size];
        header.Write(ad);
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        ulong frameNumber = _counter;
        NextNonce(nonce);
        int bodyLength = payload.Length - Aead.TagSize;
        if (!_aead.Open(nonce, payload[..bodyLength], payload[bodyLength..], destination[..bodyLength], ad))
        {
            throw new ProtocolException(ProtocolErrorCode.DecryptFailed,
                $"{header.Type} frame #{frameNumber} does not authenticate (tampered, replayed or reordered)");
        }

        return bodyLength;
    }

    private void NextNonce(Span<byte> nonce)
    {
        if (_counter >= MaxFrames)
        {
            throw new ProtocolException(ProtocolErrorCode.Internal, $"frame counter reached {MaxFrames}; reconnect for fresh keys");
        }

        WriteNonce(_counter++, nonce);
    }

    /// <summary>Nonce of frame number <paramref name="counter"/>: 4 zero bytes ‖ u64 big-endian counter.</summary>
    public static void WriteNonce(ulong counter, Span<byte> nonce)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], counter);
    }

    public void Dispose() => _aead.Dispose();
}
