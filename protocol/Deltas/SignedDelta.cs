using System.Text;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// A manifest with its origin's Ed25519 signature (SPEC.md §5.3). The signing input is the ASCII domain
/// string "fedmesh-delta-manifest-v1" followed by the canonical manifest bytes; the payload is covered through
/// the chunk hashes the manifest lists (signing 32 bytes per chunk instead of the payload). The content id is
/// BLAKE3-256 of the DeltaManifest message body [manifest bin, signature bin64], so relays forward
/// <see cref="Message"/> unchanged and every node names the delta alike.
/// </summary>
public sealed class SignedDelta
{
    private static readonly byte[] SigningDomain = Encoding.ASCII.GetBytes("fedmesh-delta-manifest-v1");

    private SignedDelta(DeltaManifest manifest, DeltaManifestMessage message)
    {
        Manifest = manifest;
        Message = message;
        Body = MessageCodec.Encode(message);
        ContentId = ContentHash.Compute(Body);
    }

    public DeltaManifest Manifest { get; }

    /// <summary>The DeltaManifest message to send or relay.</summary>
    public DeltaManifestMessage Message { get; }

    /// <summary>The encoded message body (what <see cref="ContentId"/> hashes).</summary>
    public byte[] Body { get; }

    /// <summary>BLAKE3-256 of <see cref="Body"/> (32 bytes).</summary>
    public byte[] ContentId { get; }

    /// <summary>Signs a manifest for <paramref name="delta"/> with the origin's key; <paramref name="memo"/>, when
    /// given, learns the signature as valid (a receiver in the same process then skips its Ed25519 check).</summary>
    public static SignedDelta Create(Key originKey, DeltaHeader header, EncodedDelta delta, SignatureMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(originKey);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(delta);
        if (originKey.Algorithm != SignatureAlgorithm.Ed25519)
        {
            throw new ArgumentException("the origin key must be Ed25519", nameof(originKey));
        }

        var manifest = new DeltaManifest
        {
            MeshId = header.MeshId,
            BaseModelHash = header.BaseModelHash,
            SchemaHash = header.Schema.Hash,
            Origin = originKey.PublicKey.Export(KeyBlobFormat.RawPublicKey),
            Sequence = header.Sequence,
            TimestampMs = checked((ulong)header.Timestamp.ToUnixTimeMilliseconds()),
            Tensors = delta.Tensors,
            Privacy = header.Privacy,
            ChunkSize = header.ChunkSize,
            TotalSize = delta.Payload.Length,
            ChunkHashes = ContentHash.ChunkHashes(delta.Payload.Span, header.ChunkSize),
        };
        byte[] bytes = manifest.Encode();
        byte[] input = SigningInput(bytes);
        byte[] signature = SignatureAlgorithm.Ed25519.Sign(originKey, input);
        memo?.Remember(manifest.Origin.Span, signature, input);
        return new SignedDelta(manifest, new DeltaManifestMessage(bytes, signature));
    }

    /// <summary>
    /// Checks a received (possibly relayed) manifest before anything else is done with the delta, in this
    /// order: canonical and consistent (MalformedMessage); same mesh id, base-model hash and schema hash as
    /// <paramref name="local"/> (IncompatiblePeer: cheap checks first, so foreign traffic costs no signature
    /// verification); signed by the origin key it names, and that key equal to <paramref name="expectedOrigin"/>
    /// when given (BadSignature); tensor names and shapes equal to the local schema (IncompatiblePeer).
    /// Sequence freshness is the caller's <see cref="SequenceTracker"/>. With a <paramref name="memo"/>, a signature
    /// it already holds for these exact bytes is not checked again (<see cref="SignatureMemo"/>); every other check runs.
    /// </summary>
    public static SignedDelta Verify(DeltaManifestMessage message, LocalMesh local, PublicKey? expectedOrigin = null, SignatureMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(local);
        DeltaManifest manifest = DeltaManifest.Decode(message.Manifest);
        RequireCompatible(manifest, local);

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, manifest.Origin.Span, KeyBlobFormat.RawPublicKey, out PublicKey? origin) || origin is null)
        {
            throw new ProtocolException(ProtocolErrorCode.BadSignature, "manifest origin is not a valid Ed25519 public key");
        }

        if (expectedOrigin is not null && !expectedOrigin.Equals(origin))
        {
            throw new ProtocolException(ProtocolErrorCode.BadSignature, "manifest origin is not the expected signer");
        }

        if (message.Signature.Length != DeltaManifestMessage.SignatureLength)
        {
            throw new ProtocolException(ProtocolErrorCode.BadSignature, "manifest signature does not verify under its origin key");
        }

        byte[] input = SigningInput(message.Manifest.Span);
        if (memo is null || !memo.Knows(manifest.Origin.Span, message.Signature.Span, input))
        {
            if (!SignatureAlgorithm.Ed25519.Verify(origin, input, message.Signature.Span))
            {
                throw new ProtocolException(ProtocolErrorCode.BadSignature, "manifest signature does not verify under its origin key");
            }

            memo?.Remember(manifest.Origin.Span, message.Signature.Span, input);
        }

        RequireSchemaTensors(manifest, local.Schema);
        return new SignedDelta(manifest, message);
    }

    /// <summary>Parses a DeltaManifest message body and verifies it (<see cref="Verify(DeltaManifestMessage, LocalMesh, PublicKey?, SignatureMemo?)"/>).</summary>
    public static SignedDelta Verify(ReadOnlyMemory<byte> body, LocalMesh local, PublicKey? expectedOrigin = null) =>
        Verify(MessageCodec.Decode<DeltaManifestMessage>(Wire.FrameType.DeltaManifest, body), local, expectedOrigin);

    /// <summary>The DeltaChunk message for chunk <paramref name="index"/> of <paramref name="payload"/>.</summary>
    public DeltaChunkMessage Chunk(ReadOnlyMemory<byte> payload, int index)
    {
        if (payload.Length != Manifest.TotalSize)
        {
            throw new ArgumentException($"payload is {payload.Length} bytes, manifest says {Manifest.TotalSize}", nameof(payload));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Manifest.ChunkCount);
        return new DeltaChunkMessage(ContentId, (uint)index, payload.Slice((int)Manifest.ChunkOffset(index), Manifest.ChunkLength(index)));
    }

    /// <summary>The Have announcement for this delta.</summary>
    public HaveMessage Have() =>
        new(ContentId, Manifest.Origin, Manifest.Sequence, (ulong)Manifest.TotalSize, (uint)Manifest.ChunkCount);

    private static byte[] SigningInput(ReadOnlySpan<byte> manifest)
    {
        byte[] input = new byte[SigningDomain.Length + manifest.Length];
        SigningDomain.CopyTo(input, 0);
        manifest.CopyTo(input.AsSpan(SigningDomain.Length));
        return input;
    }

    private static void RequireCompatible(DeltaManifest manifest, LocalMesh local)
    {
        if (!manifest.MeshId.Span.SequenceEqual(local.MeshId.Span))
        {
            throw Incompatible($"mesh id {Convert.ToHexStringLower(manifest.MeshId.Span)} is not ours ({Convert.ToHexStringLower(local.MeshId.Span)})");
        }

        if (!manifest.BaseModelHash.Span.SequenceEqual(local.BaseModelHash.Span))
        {
            throw Incompatible($"base-model hash {Convert.ToHexStringLower(manifest.BaseModelHash.Span)} is not ours ({Convert.ToHexStringLower(local.BaseModelHash.Span)})");
        }

        if (!manifest.SchemaHash.Span.SequenceEqual(local.Schema.Hash))
        {
            throw Incompatible($"adapter-schema hash {Convert.ToHexStringLower(manifest.SchemaHash.Span)} is not ours ({local.Schema.HashHex})");
        }
    }

    private static void RequireSchemaTensors(DeltaManifest manifest, AdapterSchema schema)
    {
        if (manifest.Tensors.Count != schema.Tensors.Count)
        {
            throw Incompatible($"manifest lists {manifest.Tensors.Count} tensors, the schema has {schema.Tensors.Count}");
        }

        for (int i = 0; i < schema.Tensors.Count; i++)
        {
            TensorInfo mine = schema.Tensors[i];
            TensorInfo theirs = manifest.Tensors[i].Info;
            if (mine.Name != theirs.Name || !mine.Shape.SequenceEqual(theirs.Shape))
            {
                throw Incompatible($"tensor {i} is '{theirs.Name}' [{string.Join(',', theirs.Shape)}], the schema has '{mine.Name}' [{string.Join(',', mine.Shape)}]");
            }
        }
    }

    private static ProtocolException Incompatible(string reason) => new(ProtocolErrorCode.IncompatiblePeer, $"delta manifest: {reason}");
}
