using System.Buffers;
using System.Buffers.Binary;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// One direction of the secure channel (SPEC.md §3.5): an AEAD key and an implicit 64-bit frame counter.
/// The nonce is zero bytes ‖ u64 big-endian counter (12 bytes, or 32 for AEGIS-256), and the counter is never
/// sent, so a replayed, dropped or reordered frame is opened with the wrong nonce and fails authentication.
/// Not thread-safe: each direction is driven by exactly one loop.
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

    /// <summary>A direction of a simulated channel: frames of the suite's lengths, sealed by <see cref="PlaintextAead"/>.</summary>
    public static FrameProtector Simulated(CipherSuite suite) => new(new PlaintextAead(suite));

    private FrameProtector(Aead aead) => _aead = aead;

    public ulong Counter => _counter;

    /// <summary>Bytes the suite's tag adds to every frame payload (16, or 32 for AEGIS-256).</summary>
    public int TagSize => _aead.TagSize;

    /// <summary>
    /// Writes header ‖ ciphertext ‖ tag of one frame into <paramref name="destination"/>
    /// (length 8 + body + <see cref="TagSize"/>); the body may already sit at destination[8..] (sealed in place).
    /// Returns the bytes written.
    /// </summary>
    public int Seal(FrameType type, ReadOnlySpan<byte> body, Span<byte> destination) => Seal(type, body, [], destination);

    /// <summary>
    /// As <see cref="Seal(FrameType, ReadOnlySpan{byte}, Span{byte})"/> for the body <paramref name="head"/> ‖
    /// <paramref name="tail"/> (a DeltaChunk's encoded fields, then its data where the payload holds it): sealed
    /// without joining the pieces first where the suite's AEAD takes them apart (<see cref="Aegis256"/>).
    /// </summary>
    public int Seal(FrameType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, Span<byte> destination)
    {
        int payload = head.Length + tail.Length + _aead.TagSize;
        FrameWriter.CheckLength(type, payload);
        var header = new FrameHeader(type, payload);
        header.Write(destination);
        Span<byte> nonce = stackalloc byte[_aead.NonceSize];
        NextNonce(nonce);
        _aead.Seal(nonce, head, tail, destination.Slice(FrameHeader.Size, payload), destination[..FrameHeader.Size]);
        return FrameHeader.Size + payload;
    }

    /// <summary>Decrypts in place; the body is the first payload.Length − <see cref="TagSize"/> bytes afterwards.</summary>
    public int OpenInPlace(FrameHeader header, Span<byte> payload) => Open(header, payload, payload);

    /// <summary>
    /// Authenticates and decrypts a frame's payload (ciphertext ‖ tag) into <paramref name="destination"/>
    /// (at least payload.Length − <see cref="TagSize"/> bytes; may be the payload itself). Returns the body length.
    /// </summary>
    /// <exception cref="ProtocolException">DecryptFailed: tampered, replayed, reordered or too short.</exception>
    public int Open(FrameHeader header, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        int bodyLength = BodyLength(header, payload.Length);
        Span<byte> ad = stackalloc byte[FrameHeader.Size];
        header.Write(ad);
        Span<byte> nonce = stackalloc byte[_aead.NonceSize];
        ulong frameNumber = NextNonce(nonce);
        return _aead.Open(nonce, payload, destination[..bodyLength], ad) ? bodyLength : throw NotAuthentic(header, frameNumber);
    }

    /// <summary>
    /// As <see cref="Open(FrameHeader, ReadOnlySpan{byte}, Span{byte})"/> for a payload read from a pipe, which may
    /// span segments: opened where it lies when the suite's AEAD takes pieces (<see cref="Aegis256"/>), else joined
    /// in <paramref name="destination"/> first, which must then hold the whole payload (tag included).
    /// </summary>
    public int Open(FrameHeader header, in ReadOnlySequence<byte> payload, Span<byte> destination)
    {
        int bodyLength = BodyLength(header, payload.Length);
        Span<byte> ad = stackalloc byte[FrameHeader.Size];
        header.Write(ad);
        Span<byte> nonce = stackalloc byte[_aead.NonceSize];
        ulong frameNumber = NextNonce(nonce);
        return _aead.Open(nonce, payload, destination, ad) ? bodyLength : throw NotAuthentic(header, frameNumber);
    }

    /// <summary>Whether a frame can be opened part by part (<see cref="BeginOpen"/>): AEGIS-256 on AES-NI.</summary>
    public bool OpensInParts => _aead is Aegis256;

    /// <summary>
    /// Starts opening the next frame part by part (only where <see cref="OpensInParts"/>): checks its length and
    /// takes its nonce, as <see cref="Open(FrameHeader, in ReadOnlySequence{byte}, Span{byte})"/> does. The caller
    /// decrypts the body's parts, then checks the tag; a tag that fails is <see cref="NotAuthentic"/>.
    /// </summary>
    public Aegis256.Opening BeginOpen(FrameHeader header, long payloadLength, out int bodyLength, out ulong frameNumber)
    {
        var aegis = _aead as Aegis256 ?? throw new InvalidOperationException($"{_aead.GetType().Name} opens frames whole");
        bodyLength = BodyLength(header, payloadLength);
        Span<byte> ad = stackalloc byte[FrameHeader.Size];
        header.Write(ad);
        Span<byte> nonce = stackalloc byte[_aead.NonceSize];
        frameNumber = NextNonce(nonce);
        return aegis.BeginOpen(nonce, ad);
    }

    private int BodyLength(FrameHeader header, long payloadLength) =>
        payloadLength >= _aead.TagSize
            ? (int)payloadLength - _aead.TagSize
            : throw new ProtocolException(ProtocolErrorCode.DecryptFailed, $"{header.Type} payload of {payloadLength} bytes is shorter than the {_aead.TagSize}-byte tag");

    public static ProtocolException NotAuthentic(FrameHeader header, ulong frameNumber) =>
        new(ProtocolErrorCode.DecryptFailed, $"{header.Type} frame #{frameNumber} does not authenticate (tampered, replayed or reordered)");

    /// <summary>Writes the next frame's nonce and returns that frame's number.</summary>
    private ulong NextNonce(Span<byte> nonce)
    {
        if (_counter >= MaxFrames)
        {
            throw new ProtocolException(ProtocolErrorCode.Internal, $"frame counter reached {MaxFrames}; reconnect for fresh keys");
        }

        WriteNonce(_counter, nonce);
        return _counter++;
    }

    /// <summary>
    /// Nonce of frame number <paramref name="counter"/>: zero bytes ‖ u64 big-endian counter, filling the suite's
    /// nonce length (4 zero bytes for a 12-byte nonce, 24 for AEGIS-256's 32).
    /// </summary>
    public static void WriteNonce(ulong counter, Span<byte> nonce)
    {
        nonce[..^sizeof(ulong)].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[^sizeof(ulong)..], counter);
    }

    public void Dispose() => _aead.Dispose();
}
