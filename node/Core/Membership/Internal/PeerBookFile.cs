using System.Text.Json.Serialization;

namespace FedMesh.Node.Membership.Internal;

/// <summary>On-disk shape of peers.json (version 1). Plain strings so the file stays readable and hand-editable.</summary>
internal sealed class PeerBookFile
{
    public int Version { get; set; }

    public List<PeerBookFileEntry>? Peers { get; set; }
}

internal sealed class PeerBookFileEntry
{
    public string? Id { get; set; }

    /// <summary>Base64 of the 32-byte Ed25519 key.</summary>
    public string? PublicKey { get; set; }

    public List<string>? Addresses { get; set; }

    public PeerSources Sources { get; set; }

    public string? MeshId { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public DateTimeOffset? LastSeen { get; set; }

    public int Failures { get; set; }
}

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    // Depth 4 is all the format has (file → peers → entry → addresses); more is not a peers.json.
    MaxDepth = 8)]
[JsonSerializable(typeof(PeerBookFile))]
internal sealed partial class PeerBookJsonContext : JsonSerializerContext;
