using NSec.Cryptography;

namespace FedMesh.Protocol.Identity;

/// <summary>
/// A node's long-term Ed25519 identity (RFC 8032, via NSec/libsodium): the key pair, the public key and the
/// peer id derived from it (SPEC.md §1.1). It signs the handshake transcript (§3) and, in the message layer,
/// delta manifests. Dispose to wipe the private key.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    /// <summary>Ed25519 private keys are stored as their 32-byte seed (RFC 8032 §5.1.5).</summary>
    public const int SeedLength = 32;

    /// <summary>Ed25519 signatures are 64 bytes.</summary>
    public const int SignatureLength = 64;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Key _key;
    private readonly byte[] _publicKey;

    private NodeIdentity(Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PeerId = PeerId.FromPublicKey(_publicKey);
    }

    /// <summary>The 32-byte public key; this is what the wire carries.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public PeerId PeerId { get; }

    /// <summary>The NSec signing key, for signing delta manifests (SignedDelta.Create). Not exportable.</summary>
    public Key SigningKey => _key;

    /// <summary>A fresh key pair from the operating system's CSPRNG.</summary>
    public static NodeIdentity Create() =>
        new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The key pair of a 32-byte seed (key files, test vectors).</summary>
    public static NodeIdentity FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException($"an Ed25519 seed is {SeedLength} bytes, got {seed.Length}", nameof(seed));
        }

        return new NodeIdentity(Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>The private seed, for writing the key file only.</summary>
    internal byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>Signs <paramref name="data"/> into the 64-byte <paramref name="signature"/>.</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => Algorithm.Sign(_key, data, signature);

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <summary>
    /// Verifies an Ed25519 signature by a raw 32-byte public key. Returns false (never throws) for a wrong-sized
    /// key or signature or a key that is not a valid curve point, since all three arrive from the network.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PeerId.PublicKeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out NSec.Cryptography.PublicKey? key) || key is null)
        {
            return false;
        }

        return Algorithm.Verify(key, data, signature);
    }

    public void Dispose() => _key.Dispose();
}
