using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Security.Internal;

/// <summary>
/// The pure building blocks of the handshake (SPEC.md §3.2): transcript hashing, X25519, HKDF-SHA256 and the
/// ChaCha20-Poly1305 sealing of identities. The design is SIGMA-I (Krawczyk, CRYPTO 2003) as in Noise XX: the
/// signatures cover both ephemeral keys, and the identity ‖ signature is encrypted under a key derived from the
/// ephemeral DH, which both hides identities from passive observers and prevents identity misbinding.
/// </summary>
internal static class HandshakeCrypto
{
    public const byte HandshakeVersion = 1;
    public const int KeyLength = 32;
    public const int HashLength = 32;

    /// <summary>Init payload: version ‖ offered suites ‖ initiator ephemeral.</summary>
    public const int InitPayloadLength = 2 + KeyLength;

    /// <summary>Handshake messages are always sealed with ChaCha20-Poly1305 (16-byte tag), whatever suite follows.</summary>
    public const int HandshakeTagSize = 16;

    /// <summary>Sealed identity: static key ‖ signature ‖ tag.</summary>
    public const int SealedIdentityLength = PeerId.PublicKeyLength + NodeIdentity.SignatureLength + HandshakeTagSize;

    /// <summary>Response payload: chosen suite ‖ responder ephemeral ‖ sealed identity.</summary>
    public const int ResponsePayloadLength = 1 + KeyLength + SealedIdentityLength;

    /// <summary>Finish payload: sealed identity.</summary>
    public const int FinishPayloadLength = SealedIdentityLength;

    public static readonly byte[] ProtocolName = Encoding.ASCII.GetBytes("fedmesh-handshake-v1");
    public static readonly byte[] HandshakeKeysInfo = Encoding.ASCII.GetBytes("fedmesh-hs-keys-v1");
    public static readonly byte[] TrafficKeysInfo = Encoding.ASCII.GetBytes("fedmesh-traffic-v1");
    public static readonly byte[] ResponderSignatureLabel = Encoding.ASCII.GetBytes("fedmesh-hs-responder-v1");
    public static readonly byte[] InitiatorSignatureLabel = Encoding.ASCII.GetBytes("fedmesh-hs-initiator-v1");

    /// <summary>h0 = SHA-256("fedmesh-handshake-v1" ‖ u16 len ‖ UTF-8 mesh id).</summary>
    public static byte[] InitialHash(string meshId)
    {
        byte[] mesh = Encoding.UTF8.GetBytes(meshId);
        byte[] input = new byte[ProtocolName.Length + 2 + mesh.Length];
        ProtocolName.CopyTo(input, 0);
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(ProtocolName.Length), (ushort)mesh.Length);
        mesh.CopyTo(input, ProtocolName.Length + 2);
        return SHA256.HashData(input);
    }

    /// <summary>h' = SHA-256(h ‖ part1 ‖ part2).</summary>
    public static byte[] Mix(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2 = default)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(hash);
        sha.AppendData(part1);
        sha.AppendData(part2);
        return sha.GetHashAndReset();
    }

    public static byte[] Header(FrameType type, int length)
    {
        byte[] header = new byte[FrameHeader.Size];
        new FrameHeader(type, length).Write(header);
        return header;
    }

    /// <summary>HKDF-SHA256(ikm = the handshake's X25519 result, salt, info) → 64 bytes (RFC 5869).</summary>
    public static byte[] Derive(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        byte[] keys = new byte[2 * KeyLength];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, keys, salt, info);
        return keys;
    }

    /// <summary>The signed message: label ‖ transcript hash ‖ signer's public key.</summary>
    public static byte[] SignedMessage(byte[] label, ReadOnlySpan<byte> transcript, ReadOnlySpan<byte> publicKey)
    {
        byte[] message = new byte[label.Length + transcript.Length + publicKey.Length];
        label.CopyTo(message, 0);
        transcript.CopyTo(message.AsSpan(label.Length));
        publicKey.CopyTo(message.AsSpan(label.Length + transcript.Length));
        return message;
    }

    /// <summary>ChaCha20-Poly1305(key, nonce 0, ad = transcript, public key ‖ signature) → 112 bytes.</summary>
    public static byte[] SealIdentity(ReadOnlySpan<byte> key, ReadOnlySpan<byte> transcript, NodeIdentity identity, byte[] label)
    {
        byte[] plain = new byte[PeerId.PublicKeyLength + NodeIdentity.SignatureLength];
        identity.PublicKey.CopyTo(plain);
        identity.Sign(SignedMessage(label, transcript, identity.PublicKey), plain.AsSpan(PeerId.PublicKeyLength));
        byte[] sealedIdentity = new byte[SealedIdentityLength];
        using Aead aead = Aead.Create(CipherSuite.ChaCha20Poly1305, key);
        Span<byte> nonce = stackalloc byte[aead.NonceSize];
        nonce.Clear();
        aead.Seal(nonce, plain, sealedIdentity, transcript);
        return sealedIdentity;
    }

    /// <summary>Opens a sealed identity and verifies its signature; returns the peer's public key.</summary>
    public static byte[] OpenIdentity(ReadOnlySpan<byte> key, ReadOnlySpan<byte> transcript, ReadOnlySpan<byte> sealedIdentity, byte[] label, string who)
    {
        int plainLength = PeerId.PublicKeyLength + NodeIdentity.SignatureLength;
        byte[] plain = new byte[plainLength];
        using (Aead aead = Aead.Create(CipherSuite.ChaCha20Poly1305, key))
        {
            Span<byte> nonce = stackalloc byte[aead.NonceSize];
            nonce.Clear();
            if (!aead.Open(nonce, sealedIdentity, plain, transcript))
            {
                throw new ProtocolException(ProtocolErrorCode.HandshakeFailed,
                    $"{who}'s sealed identity does not authenticate (different mesh id, or the messages were altered)");
            }
        }

        byte[] publicKey = plain[..PeerId.PublicKeyLength];
        if (!NodeIdentity.Verify(publicKey, SignedMessage(label, transcript, publicKey), plain.AsSpan(PeerId.PublicKeyLength)))
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed,
                $"{who}'s transcript signature does not verify for key {PeerId.FromPublicKey(publicKey)}");
        }

        return publicKey;
    }

    /// <summary>Checks a plaintext handshake frame's type and exact length.</summary>
    public static void Expect(FrameHeader header, FrameType type, int length)
    {
        if (header.Type != type)
        {
            throw new ProtocolException(ProtocolErrorCode.UnexpectedFrameType, $"expected {type} during the handshake, got {header.Type}");
        }

        if (header.PayloadLength != length)
        {
            throw new ProtocolException(ProtocolErrorCode.HandshakeFailed, $"{type} payload must be {length} bytes, got {header.PayloadLength}");
        }
    }

    public static void CheckAllowed(HandshakeOptions options, byte[] publicKey, string who)
    {
        if (options.Allowlist is { } allow && !allow.Contains(PeerId.FromPublicKey(publicKey)))
        {
            throw new ProtocolException(ProtocolErrorCode.NotAllowed, $"{who} {PeerId.FromPublicKey(publicKey)} is not in this closed mesh's allowlist");
        }
    }
}
