using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// A handshake's X25519 key pair (SPEC.md §3.2) and its one Diffie-Hellman result, on libsodium's
/// <c>crypto_scalarmult_curve25519</c> (the function NSec's X25519 calls), in pinned managed arrays zeroed on dispose.
/// <para>
/// Why not NSec's <c>Key</c> and <c>SharedSecret</c>: each is a <c>sodium_malloc</c> allocation (its own mapping,
/// guard pages, mprotect, mlock) and its release an munmap, i.e. a cross-CPU TLB shootdown. A handshake made three
/// of them per side (the ephemeral key and one shared secret per derivation), which on netsim's in-memory meshes put
/// the kernel's TLB flushes and libsodium's allocator at ~25 % of the CPU profile. The DH is now computed once per
/// handshake; the bytes are the same (the handshake test vectors pin them). A pinned array never moves, so no copy is
/// left behind by the GC; it lives for one handshake (≤ the 10 s handshake timeout) and is zeroed on dispose.
/// </para>
/// </summary>
internal sealed partial class EphemeralKey : IDisposable
{
    public const int Length = 32;

    private readonly byte[] _private = GC.AllocateArray<byte>(Length, pinned: true);
    private readonly byte[] _shared = GC.AllocateArray<byte>(Length, pinned: true);
    private bool _agreed;

    static EphemeralKey()
    {
        // libsodium must be initialised before its other functions (it picks the CPU's implementation); idempotent,
        // NSec calls it too. -1 is a failure, 0 and 1 are success.
        if (NativeMethods.sodium_init() < 0)
        {
            throw new InvalidOperationException("libsodium failed to initialise (sodium_init returned -1)");
        }
    }

    /// <param name="privateKey">Empty: a fresh random key; 32 bytes: this key (the handshake test vectors only).</param>
    public EphemeralKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.IsEmpty)
        {
            RandomNumberGenerator.Fill(_private);
        }
        else if (privateKey.Length == Length)
        {
            privateKey.CopyTo(_private);
        }
        else
        {
            throw new ArgumentException($"an X25519 private key is {Length} bytes, got {privateKey.Length}", nameof(privateKey));
        }

        if (NativeMethods.crypto_scalarmult_curve25519_base(PublicKey, _private) != 0)
        {
            throw new CryptographicException("X25519 public key computation failed");
        }
    }

    /// <summary>The public key, X25519(private, 9): what the handshake frame carries.</summary>
    public byte[] PublicKey { get; } = new byte[Length];

    /// <summary>
    /// X25519(own private key, <paramref name="peer"/>): computed on the first call, returned as is afterwards (a
    /// handshake derives its handshake keys and its traffic keys from the same DH). The span is valid until dispose.
    /// </summary>
    /// <exception cref="ProtocolException">The peer's key has the wrong length or is a low-order point (all-zero result).</exception>
    public ReadOnlySpan<byte> Agree(ReadOnlySpan<byte> peer)
    {
        if (!_agreed)
        {
            if (peer.Length != Length)
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, "peer's ephemeral key is not an X25519 public key");
            }

            // libsodium returns -1 when the result is all zeros, i.e. the peer sent a low-order point (RFC 7748 §6.1).
            if (NativeMethods.crypto_scalarmult_curve25519(_shared, _private, peer) != 0)
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, "peer's ephemeral key is a low-order point");
            }

            _agreed = true;
        }

        return _shared;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_private);
        CryptographicOperations.ZeroMemory(_shared);
    }

    /// <summary>libsodium as NSec ships it (the native asset of the libsodium package next to the binary).</summary>
    private static partial class NativeMethods
    {
        [LibraryImport("libsodium")]
        internal static partial int sodium_init();

        [LibraryImport("libsodium")]
        internal static partial int crypto_scalarmult_curve25519_base(Span<byte> q, ReadOnlySpan<byte> n);

        [LibraryImport("libsodium")]
        internal static partial int crypto_scalarmult_curve25519(Span<byte> q, ReadOnlySpan<byte> n, ReadOnlySpan<byte> p);
    }
}
