using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>
/// First message on a secure channel (SPEC.md §4.2): who the sender is and what it can exchange. Peers whose
/// mesh id, base-model hash or adapter-schema hash differ close with Bye(IncompatiblePeer).
/// Layout: [protocol_version u16, public_key bin32, capabilities [str…], mesh_id bin32, base_model_hash bin32,
/// adapter_schema_hash bin32, listen_addresses [str…], software_version str].
/// </summary>
public sealed record HelloMessage : WireMessage
{
    /// <summary>The message-layer version this implementation speaks.</summary>
    public const ushort CurrentProtocolVersion = 1;

    public ushort ProtocolVersion { get; init; } = CurrentProtocolVersion;

    /// <summary>The sender's Ed25519 public key (32 bytes); must equal the key authenticated by the handshake.</summary>
    public required ReadOnlyMemory<byte> PublicKey { get; init; }

    /// <summary>Optional features the sender supports, as short names (unknown names are ignored by receivers).</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public required ReadOnlyMemory<byte> MeshId { get; init; }

    public required ReadOnlyMemory<byte> BaseModelHash { get; init; }

    public required ReadOnlyMemory<byte> AdapterSchemaHash { get; init; }

    /// <summary>Addresses ("host:port") where the sender accepts connections; empty for a client-only node.</summary>
    public IReadOnlyList<string> ListenAddresses { get; init; } = [];

    public string SoftwareVersion { get; init; } = string.Empty;

    public override FrameType Type => FrameType.Hello;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 8;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
        CheckHash(PublicKey, nameof(PublicKey));
        CheckHash(MeshId, nameof(MeshId));
        CheckHash(BaseModelHash, nameof(BaseModelHash));
        CheckHash(AdapterSchemaHash, nameof(AdapterSchemaHash));
        Check(Capabilities is not null && Capabilities.Count <= MessageLimits.MaxCapabilities, $"at most {MessageLimits.MaxCapabilities} capabilities", nameof(Capabilities));
        foreach (string c in Capabilities!)
        {
            Check(!string.IsNullOrEmpty(c), "empty capability", nameof(Capabilities));
            CheckText(c, MessageLimits.MaxCapabilityBytes, nameof(Capabilities));
        }

        CheckAddresses(ListenAddresses, nameof(ListenAddresses));
        CheckText(SoftwareVersion, MessageLimits.MaxSoftwareVersionBytes, nameof(SoftwareVersion));
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.Write(ProtocolVersion);
        writer.Write(PublicKey.Span);
        writer.WriteArrayHeader(Capabilities.Count);
        foreach (string c in Capabilities)
        {
            writer.Write(c);
        }

        writer.Write(MeshId.Span);
        writer.Write(BaseModelHash.Span);
        writer.Write(AdapterSchemaHash.Span);
        WriteAddresses(ref writer, ListenAddresses);
        writer.Write(SoftwareVersion);
    }

    internal static HelloMessage Read(ref BodyReader reader)
    {
        ushort version = reader.ReadUInt16("protocol_version");
        byte[] key = reader.ReadFixedBin("public_key", MessageLimits.HashLength);
        int capCount = reader.ReadArrayHeader("capabilities", 0, MessageLimits.MaxCapabilities);
        var caps = new string[capCount];
        for (int i = 0; i < capCount; i++)
        {
            caps[i] = reader.ReadString("capabilities", 1, MessageLimits.MaxCapabilityBytes);
        }

        return new HelloMessage
        {
            ProtocolVersion = version,
            PublicKey = key,
            Capabilities = caps,
            MeshId = reader.ReadFixedBin("mesh_id", MessageLimits.HashLength),
            BaseModelHash = reader.ReadFixedBin("base_model_hash", MessageLimits.HashLength),
            AdapterSchemaHash = reader.ReadFixedBin("adapter_schema_hash", MessageLimits.HashLength),
            ListenAddresses = ReadAddresses(ref reader, "listen_addresses"),
            SoftwareVersion = reader.ReadString("software_version", 0, MessageLimits.MaxSoftwareVersionBytes),
        };
    }
}
