using System.Buffers;
using System.Security.Cryptography;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// One AEAD key of one suite (SPEC.md §3.4): 32-byte key; nonce and tag lengths are the suite's. Sealed output is
/// ciphertext ‖ tag, contiguous, as a frame carries it. OpenSSL (System.Security.Cryptography) runs AES-256-GCM
/// and ChaCha20-Poly1305; libsodium (NSec) runs AEGIS-256, and ChaCha20-Poly1305 where OpenSSL lacks it.
/// </summary>
internal abstract class Aead : IDisposable
{
    public const int KeySize = 32;

    protected Aead(CipherSuite suite)
    {
        TagSize = CipherSuites.TagSize(suite);
        NonceSize = CipherSuites.NonceSize(suite);
    }

    public int TagSize { get; }

    public int NonceSize { get; }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="sealedOutput"/> (ciphertext ‖ tag, exactly
    /// plaintext.Length + <see cref="TagSize"/> bytes), which may start at the plaintext itself (in place).
    /// </summary>
    public abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Authenticates and decrypts ciphertext ‖ tag into <paramref name="plaintext"/> (exactly
    /// sealedInput.Length − <see cref="TagSize"/> bytes; may start at the input). False when the tag does not verify.
    /// </summary>
    public abstract bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Seals <paramref name="head"/> ‖ <paramref name="tail"/> as one plaintext into <paramref name="sealedOutput"/>
    /// (ciphertext ‖ tag). This default joins them in the output and seals in place (one copy of both); an AEAD that
    /// takes its plaintext in pieces overrides it and reads each where it lies. A body without a tail is sealed as
    /// <see cref="Seal(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/> would (in place when
    /// it starts at the output); a tail must not overlap the output.
    /// </summary>
    public virtual void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData)
    {
        if (tail.IsEmpty)
        {
            Seal(nonce, head, sealedOutput, associatedData);
            return;
        }

        Span<byte> plaintext = sealedOutput[..(head.Length + tail.Length)];
        head.CopyTo(plaintext);
        tail.CopyTo(plaintext[head.Length..]);
        Seal(nonce, plaintext, sealedOutput, associatedData);
    }

    /// <summary>
    /// Opens ciphertext ‖ tag that may span several segments (a frame read from a pipe). This default opens a
    /// single segment directly and copies a multi-segment input into <paramref name="plaintext"/> first, which must
    /// then hold all of it (sealedInput.Length bytes, tag included), and opens it there in place; an AEAD that takes
    /// its ciphertext in pieces overrides it and needs only the plaintext's length.
    /// </summary>
    public virtual bool Open(ReadOnlySpan<byte> nonce, in ReadOnlySequence<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (sealedInput.IsSingleSegment)
        {
            return Open(nonce, sealedInput.FirstSpan, plaintext, associatedData);
        }

        Span<byte> joined = plaintext[..checked((int)sealedInput.Length)];
        sealedInput.CopyTo(joined);
        return Open(nonce, joined, joined, associatedData);
    }

    public abstract void Dispose();

    /// <summary>
    /// The suite's implementation. AEGIS-256 runs on <see cref="Aegis256"/> where the CPU has AES-NI (it takes
    /// plaintext and ciphertext in pieces, saving the frame copies) and on libsodium elsewhere.
    /// </summary>
    public static Aead Create(CipherSuite suite, ReadOnlySpan<byte> key) => suite switch
    {
        CipherSuite.Aes256Gcm => new OpenSslAead(suite, key),
        CipherSuite.ChaCha20Poly1305 when ChaCha20Poly1305.IsSupported => new OpenSslAead(suite, key),
        CipherSuite.ChaCha20Poly1305 => new SodiumAead(suite, key),
        CipherSuite.Aegis256 when Aegis256.IsSupported => new Aegis256(key),
        CipherSuite.Aegis256 => new SodiumAead(suite, key),
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a single cipher suite"),
    };

    /// <summary>OpenSSL's AES-256-GCM or ChaCha20-Poly1305: the same call shapes, no common interface.</summary>
    private sealed class OpenSslAead : Aead
    {
        private readonly AesGcm? _aes;
        private readonly ChaCha20Poly1305? _chacha;

        public OpenSslAead(CipherSuite suite, ReadOnlySpan<byte> key)
            : base(suite)
        {
            if (suite == CipherSuite.Aes256Gcm)
            {
                _aes = new AesGcm(key, TagSize);
            }
            else
            {
                _chacha = new ChaCha20Poly1305(key);
            }
        }

        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData)
        {
            Span<byte> ciphertext = sealedOutput[..plaintext.Length];
            Span<byte> tag = sealedOutput.Slice(plaintext.Length, TagSize);
            if (_aes is not null)
            {
                _aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            }
            else
            {
                _chacha!.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            }
        }

        public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            int length = sealedInput.Length - TagSize;
            try
            {
                if (_aes is not null)
                {
                    _aes.Decrypt(nonce, sealedInput[..length], sealedInput[length..], plaintext[..length], associatedData);
                }
                else
                {
                    _chacha!.Decrypt(nonce, sealedInput[..length], sealedInput[length..], plaintext[..length], associatedData);
                }

                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }
        }

        public override void Dispose()
        {
            _aes?.Dispose();
            _chacha?.Dispose();
        }
    }

    /// <summary>libsodium's AEGIS-256 or ChaCha20-Poly1305 (IETF), which take ciphertext ‖ tag contiguous.</summary>
    internal sealed class SodiumAead : Aead
    {
        private readonly NSec.Cryptography.AeadAlgorithm _algorithm;
        private readonly NSec.Cryptography.Key _key;

        public SodiumAead(CipherSuite suite, ReadOnlySpan<byte> key)
            : base(suite)
        {
            _algorithm = suite switch
            {
                CipherSuite.ChaCha20Poly1305 => NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305,
                CipherSuite.Aegis256 => NSec.Cryptography.AeadAlgorithm.Aegis256,
                _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "libsodium runs ChaCha20-Poly1305 and AEGIS-256 here"),
            };
            _key = NSec.Cryptography.Key.Import(_algorithm, key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
        }

        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData) =>
            _algorithm.Encrypt(_key, nonce, associatedData, plaintext, sealedOutput[..(plaintext.Length + TagSize)]);

        public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData) =>
            _algorithm.Decrypt(_key, nonce, associatedData, sealedInput, plaintext[..(sealedInput.Length - TagSize)]);

        public override void Dispose() => _key.Dispose();
    }
}
