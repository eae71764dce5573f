using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// AEGIS-256 with a 256-bit tag (draft-irtf-cfrg-aegis-aead, §3; byte for byte what libsodium's
/// crypto_aead_aegis256 computes, which the tests check on every length), on the x86 AES round instruction.
/// It exists for one reason: libsodium's API takes the plaintext and the ciphertext each as one contiguous span, so
/// the send path had to copy a chunk's bytes behind its message head before sealing them in place, and the read
/// loop had to copy a frame that straddles two pipe segments before opening it: ~5 ms of CPU per 64 MiB on the
/// development VM. This one takes the plaintext in pieces (head, data) and the ciphertext as a
/// <see cref="ReadOnlySequence{T}"/>, with the same speed as libsodium's (7.5 ms to seal and 8.3 ms to open 64 MiB
/// in 1 MiB frames against 7.7 and 7.6 there, same VM). Only where <see cref="IsSupported"/>; elsewhere libsodium.
/// </summary>
internal sealed class Aegis256 : Aead
{
    /// <summary>Bytes per AEGIS block: one AES state.</summary>
    private const int Block = 16;

    private readonly byte[] _key = GC.AllocateArray<byte>(KeySize, pinned: true);

    public Aegis256(ReadOnlySpan<byte> key)
        : base(CipherSuite.Aegis256)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"AEGIS-256 keys are {KeySize} bytes, got {key.Length}", nameof(key));
        }

        key.CopyTo(_key);
    }

    /// <summary>The AES round instruction this implementation runs on (AES-NI).</summary>
    public static bool IsSupported => X86Aes.IsSupported;

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData) =>
        Seal(nonce, plaintext, [], sealedOutput, associatedData);

    /// <summary>Seals head ‖ tail without joining them first; the output is not the input (no copy needed).</summary>
    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData)
    {
        int length = head.Length + tail.Length;
        var state = new State(_key, nonce);
        state.Absorb(associatedData);
        var cursor = new Cursor(sealedOutput[..length]);
        Span<byte> carry = stackalloc byte[Block];
        cursor.Feed(ref state, head, carry, encrypt: true);
        cursor.Feed(ref state, tail, carry, encrypt: true);
        cursor.Finish(ref state, carry, encrypt: true);
        state.Finalize(associatedData.Length, length, sealedOutput.Slice(length, TagSize));
    }

    public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (sealedInput.Length < TagSize)
        {
            return false;
        }

        int length = sealedInput.Length - TagSize;
        var state = new State(_key, nonce);
        state.Absorb(associatedData);
        var cursor = new Cursor(plaintext[..length]);
        Span<byte> carry = stackalloc byte[Block];
        cursor.Feed(ref state, sealedInput[..length], carry, encrypt: false);
        cursor.Finish(ref state, carry, encrypt: false);
        return Verify(ref state, associatedData.Length, sealedInput[length..], plaintext[..length]);
    }

    /// <summary>Opens a ciphertext ‖ tag that may span segments, straight into <paramref name="plaintext"/>.</summary>
    public override bool Open(ReadOnlySpan<byte> nonce, in ReadOnlySequence<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (sealedInput.IsSingleSegment || sealedInput.Length < TagSize)
        {
            return Open(nonce, sealedInput.IsSingleSegment ? sealedInput.FirstSpan : [], plaintext, associatedData);
        }

        int length = checked((int)sealedInput.Length) - TagSize;
        ReadOnlySequence<byte> ciphertext = sealedInput.Slice(0, length);
        Span<byte> tag = stackalloc byte[TagSize];
        sealedInput.Slice(length).CopyTo(tag);
        var state = new State(_key, nonce);
        state.Absorb(associatedData);
        var cursor = new Cursor(plaintext[..length]);
        Span<byte> carry = stackalloc byte[Block];
        foreach (ReadOnlyMemory<byte> segment in ciphertext)
        {
            cursor.Feed(ref state, segment.Span, carry, encrypt: false);
        }

        cursor.Finish(ref state, carry, encrypt: false);
        return Verify(ref state, associatedData.Length, tag, plaintext[..length]);
    }

    /// <summary>
    /// Starts opening a message whose ciphertext is decrypted in parts (<see cref="Opening"/>): the read loop learns
    /// where a DeltaChunk's data belongs from the chunk's first bytes, and decrypts the rest straight there.
    /// </summary>
    public Opening BeginOpen(scoped ReadOnlySpan<byte> nonce, scoped ReadOnlySpan<byte> associatedData)
    {
        var state = new State(_key, nonce);
        state.Absorb(associatedData);
        return new Opening(state, associatedData.Length);
    }

    public override void Dispose() => CryptographicOperations.ZeroMemory(_key);

    /// <summary>
    /// One message being opened part by part: each <see cref="Decrypt"/> continues where the last ended, and every
    /// part but the last must be whole blocks (a multiple of 16 bytes). Nothing decrypted is authentic until
    /// <see cref="Verify"/> returns true; on false the caller discards (and clears) every part's output.
    /// </summary>
    public ref struct Opening
    {
        private readonly int _associatedLength;
        private State _state;
        private int _length;
        private bool _ended;

        internal Opening(State state, int associatedLength)
        {
            _state = state;
            _associatedLength = associatedLength;
        }

        /// <exception cref="InvalidOperationException">A part after one that ended inside a block.</exception>
        public void Decrypt(in ReadOnlySequence<byte> ciphertext, scoped Span<byte> output)
        {
            if (_ended)
            {
                throw new InvalidOperationException("only the last part may end inside a block");
            }

            var cursor = new Cursor(output[..checked((int)ciphertext.Length)]);
            Span<byte> carry = stackalloc byte[Block];
            foreach (ReadOnlyMemory<byte> segment in ciphertext)
            {
                cursor.Feed(ref _state, segment.Span, carry, encrypt: false);
            }

            cursor.Finish(ref _state, carry, encrypt: false);
            _length += (int)ciphertext.Length;
            _ended = ciphertext.Length % Block != 0;
        }

        /// <summary>Whether the tag (in constant time) authenticates everything decrypted.</summary>
        public bool Verify(scoped ReadOnlySpan<byte> tag)
        {
            Span<byte> expected = stackalloc byte[2 * Block];
            _state.Finalize(_associatedLength, _length, expected);
            return CryptographicOperations.FixedTimeEquals(expected, tag);
        }
    }

    /// <summary>Compares tags in constant time; on a mismatch clears the plaintext (as libsodium does), so no
    /// unauthenticated byte is left behind for a caller that ignores the result.</summary>
    private bool Verify(ref State state, int associatedLength, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> expected = stackalloc byte[TagSize];
        state.Finalize(associatedLength, plaintext.Length, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            return true;
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    /// <summary>
    /// Where the next output block goes, and the input bytes (fewer than a block) carried over from the previous
    /// piece: pieces may end anywhere, blocks are 16 bytes.
    /// </summary>
    private ref struct Cursor(Span<byte> output)
    {
        private readonly Span<byte> _output = output;
        private int _written;
        private int _carried;

        public void Feed(ref State state, scoped ReadOnlySpan<byte> input, scoped Span<byte> carry, bool encrypt)
        {
            if (_carried > 0)
            {
                int take = Math.Min(Block - _carried, input.Length);
                input[..take].CopyTo(carry[_carried..]);
                _carried += take;
                input = input[take..];
                if (_carried < Block)
                {
                    return;
                }

                state.Blocks(carry, _output.Slice(_written, Block), encrypt);
                _written += Block;
                _carried = 0;
            }

            int whole = input.Length & ~(Block - 1);
            state.Blocks(input[..whole], _output.Slice(_written, whole), encrypt);
            _written += whole;
            input[whole..].CopyTo(carry);
            _carried = input.Length - whole;
        }

        public readonly void Finish(ref State state, scoped Span<byte> carry, bool encrypt)
        {
            if (_carried > 0)
            {
                state.Last(carry[.._carried], _output.Slice(_written, _carried), encrypt);
            }
        }
    }

    /// <summary>The six 128-bit state words S0..S5.</summary>
    internal struct State
    {
        // The draft's constants C0 (Fibonacci numbers mod 256) and C1.
        private static readonly Vector128<byte> C0 = Vector128.Create((byte)0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d, 0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62);
        private static readonly Vector128<byte> C1 = Vector128.Create((byte)0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1, 0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd);

        private Vector128<byte> _s0, _s1, _s2, _s3, _s4, _s5;

        /// <summary>Init(key, nonce): the key and nonce halves mixed in over 4 × 4 updates (draft §3.2.2).</summary>
        public State(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
        {
            if (nonce.Length != 2 * Block)
            {
                throw new ArgumentException($"AEGIS-256 nonces are {2 * Block} bytes, got {nonce.Length}", nameof(nonce));
            }

            Vector128<byte> k0 = Vector128.Create(key[..Block]);
            Vector128<byte> k1 = Vector128.Create(key[Block..(2 * Block)]);
            Vector128<byte> k0n0 = k0 ^ Vector128.Create(nonce[..Block]);
            Vector128<byte> k1n1 = k1 ^ Vector128.Create(nonce[Block..]);
            (_s0, _s1, _s2, _s3, _s4, _s5) = (k0n0, k1n1, C1, C0, k0 ^ C0, k1 ^ C1);
            for (int i = 0; i < 4; i++)
            {
                Update(k0);
                Update(k1);
                Update(k0n0);
                Update(k1n1);
            }
        }

        /// <summary>Absorbs the associated data, zero-padded to whole blocks (draft §3.2.3).</summary>
        public void Absorb(ReadOnlySpan<byte> associatedData)
        {
            int whole = associatedData.Length & ~(Block - 1);
            for (int i = 0; i < whole; i += Block)
            {
                Update(Vector128.Create(associatedData.Slice(i, Block)));
            }

            if (whole < associatedData.Length)
            {
                Span<byte> padded = stackalloc byte[Block];
                padded.Clear();
                associatedData[whole..].CopyTo(padded);
                Update(Vector128.Create((ReadOnlySpan<byte>)padded));
            }
        }

        /// <summary>
        /// Enc or Dec of whole blocks (input.Length a multiple of 16; output as long, possibly the same memory):
        /// each output block is the input XOR S1 ^ S4 ^ S5 ^ (S2 &amp; S3), and the state absorbs the plaintext block.
        /// The state lives in locals through the loop so the JIT keeps it in registers.
        /// </summary>
        public void Blocks(ReadOnlySpan<byte> input, Span<byte> output, bool encrypt)
        {
            ref byte source = ref MemoryMarshal.GetReference(input);
            ref byte destination = ref MemoryMarshal.GetReference(output);
            (Vector128<byte> s0, Vector128<byte> s1, Vector128<byte> s2, Vector128<byte> s3, Vector128<byte> s4, Vector128<byte> s5) = (_s0, _s1, _s2, _s3, _s4, _s5);
            for (nuint i = 0; i < (nuint)input.Length; i += Block)
            {
                Vector128<byte> x = Vector128.LoadUnsafe(ref source, i);
                Vector128<byte> z = (s1 ^ s4) ^ (s5 ^ (s2 & s3));
                (x ^ z).StoreUnsafe(ref destination, i);

                // S0 absorbs the plaintext block: x, or x ^ z when x is the ciphertext, computed as (S0 ^ x) ^ z rather
                // than S0 ^ (x ^ z) so S0 ^ x overlaps z and the round waits one XOR less (decrypting 64 MiB: 8.3 →
                // 7.5 ms on the development VM, libsodium's 7.6).
                Vector128<byte> absorbed = encrypt ? s0 ^ x : (s0 ^ x) ^ z;
                Vector128<byte> last = s5;
                s5 = X86Aes.Encrypt(s4, s5);
                s4 = X86Aes.Encrypt(s3, s4);
                s3 = X86Aes.Encrypt(s2, s3);
                s2 = X86Aes.Encrypt(s1, s2);
                s1 = X86Aes.Encrypt(s0, s1);
                s0 = X86Aes.Encrypt(last, absorbed);
            }

            (_s0, _s1, _s2, _s3, _s4, _s5) = (s0, s1, s2, s3, s4, s5);
        }

        /// <summary>The final partial block (1..15 bytes, zero-padded): as <see cref="Blocks"/>, and the state absorbs
        /// the zero-padded plaintext (when decrypting, the keystream's tail past the input must not get in).</summary>
        public void Last(ReadOnlySpan<byte> input, Span<byte> output, bool encrypt)
        {
            Span<byte> block = stackalloc byte[Block];
            block.Clear();
            input.CopyTo(block);
            Vector128<byte> x = Vector128.Create((ReadOnlySpan<byte>)block);
            (x ^ _s1 ^ _s4 ^ _s5 ^ (_s2 & _s3)).CopyTo(block);
            block[..input.Length].CopyTo(output);
            block[input.Length..].Clear();
            Update(encrypt ? x : Vector128.Create((ReadOnlySpan<byte>)block));
        }

        /// <summary>Finalize: 7 updates with S3 ^ (LE64 ad bits ‖ LE64 message bits); the tag is
        /// (S0 ^ S1 ^ S2) ‖ (S3 ^ S4 ^ S5) (draft §3.2.6, 256-bit tag).</summary>
        public void Finalize(int associatedLength, int messageLength, Span<byte> tag)
        {
            Span<byte> lengths = stackalloc byte[Block];
            BinaryPrimitives.WriteUInt64LittleEndian(lengths, (ulong)associatedLength * 8);
            BinaryPrimitives.WriteUInt64LittleEndian(lengths[8..], (ulong)messageLength * 8);
            Vector128<byte> t = _s3 ^ Vector128.Create((ReadOnlySpan<byte>)lengths);
            for (int i = 0; i < 7; i++)
            {
                Update(t);
            }

            (_s0 ^ _s1 ^ _s2).CopyTo(tag);
            (_s3 ^ _s4 ^ _s5).CopyTo(tag[Block..]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Update(Vector128<byte> message)
        {
            Vector128<byte> last = _s5;
            _s5 = X86Aes.Encrypt(_s4, _s5);
            _s4 = X86Aes.Encrypt(_s3, _s4);
            _s3 = X86Aes.Encrypt(_s2, _s3);
            _s2 = X86Aes.Encrypt(_s1, _s2);
            _s1 = X86Aes.Encrypt(_s0, _s1);
            _s0 = X86Aes.Encrypt(last, _s0 ^ message);
        }
    }
}
