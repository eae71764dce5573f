using System.Buffers;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// Carries a signed manifest (SPEC.md §4.6, §5.3). Layout: [manifest bin, signature bin64] — exactly the signed
/// manifest envelope of <see cref="SignedDelta"/>; the message body's bytes are what the content id hashes, so
/// relays forward the body unchanged. Verification is <see cref="SignedDelta.Verify"/>; this type only frames.
/// </summary>
public sealed record DeltaManifestMessage(ReadOnlyMemory<byte> Manifest, ReadOnlyMemory<byte> Signature) : WireMessage
{
    /// <summary>Ed25519 signature length (RFC 8032).</summary>
    public const int SignatureLength = 64;

    public override FrameType Type => FrameType.DeltaManifest;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 2;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
        Check(Manifest.Length is >= 1 and <= DeltaLimits.MaxManifestBytes, $"manifest must be 1..{DeltaLimits.MaxManifestBytes} bytes", nameof(Manifest));
        Check(Signature.Length == SignatureLength, $"signature must be {SignatureLength} bytes", nameof(Signature));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write(Manifest.Span);
        writer.Write(Signature.Span);
    }

    internal static DeltaManifestMessage Read(ref BodyReader reader)
    {
        byte[] manifest = reader.ReadBin("manifest", 1, DeltaLimits.MaxManifestBytes).ToArray();
        byte[] signature = reader.ReadFixedBin("signature", SignatureLength);
        return new DeltaManifestMessage(manifest, signature);
    }
}
