using System.Security.Cryptography;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// One AEAD key of one suite. Both suites use 32-byte keys, 12-byte nonces and 16-byte tags (SPEC.md §3.4).
/// Backed by the platform's OpenSSL (System.Security.Cryptography), which encrypts in place and uses
/// AES-NI/VAES and AVX-512 ChaCha; NSec/libsodium serves ChaCha20-Poly1305 where OpenSSL lacks it.
/// </summary>
internal abstract class Aead : IDisposable
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>Encrypts; <paramref name="ciphertext"/> may be the same memory as <paramref name="plaintext"/>.</summary>
    public abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts and authenticates; false when the tag does not verify. May run in place.</summary>
    public abstract bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);

    public abstract void Dispose();

    public static Aead Create(CipherSuite suite, ReadOnlySpan<byte> key) => suite switch
    {
        CipherSuite.Aes256Gcm => new OpenSslAead(suite, key),
        CipherSuite.ChaCha20Poly1305 when ChaCha20Poly1305.IsSupported => new OpenSslAead(suite, key),
        CipherSuite.ChaCha20Poly1305 => new NSecChaChaAead(key),
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a single cipher suite"),
    };

    /// <summary>OpenSSL's AES-256-GCM or ChaCha20-Poly1305: the same call shapes, no common interface.</summary>
    private sealed class OpenSslAead : Aead
    {
        private readonly AesGcm? _aes;
        private readonly ChaCha20Poly1305? _chacha;

        public OpenSslAead(CipherSuite suite, ReadOnlySpan<byte> key)
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

        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        {
            if (_aes is not null)
            {
                _aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            }
            else
            {
                _chacha!.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            }
        }

        public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            try
            {
                if (_aes is not null)
                {
                    _aes.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
                }
                else
                {
                    _chacha!.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
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

    /// <summary>libsodium's ChaCha20-Poly1305 (IETF); NSec wants ciphertext ‖ tag contiguous.</summary>
    internal sealed class NSecChaChaAead : Aead
    {
        private static readonly NSec.Cryptography.AeadAlgorithm Algorithm = NSec.Cryptography.AeadAlgorithm.ChaCha20Poly1305;
        private readonly NSec.Cryptography.Key _key;

        public NSecChaChaAead(ReadOnlySpan<byte> key) =>
            _key = NSec.Cryptography.Key.Import(Algorithm, key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);

        public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        {
            byte[] both = new byte[plaintext.Length + TagSize];
            Algorithm.Encrypt(_key, nonce, associatedData, plaintext, both);
            both.AsSpan(0, plaintext.Length).CopyTo(ciphertext);
            both.AsSpan(plaintext.Length).CopyTo(tag);
        }

        public override bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            byte[] both = new byte[ciphertext.Length + TagSize];
            ciphertext.CopyTo(both);
            tag.CopyTo(both.AsSpan(ciphertext.Length));
            return Algorithm.Decrypt(_key, nonce, associatedData, both, plaintext);
        }

        public override void Dispose() => _key.Dispose();
    }
}
