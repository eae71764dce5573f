using System.Text.Json.Serialization;

namespace FedMesh.Node.Reputation.Internal;

/// <summary>On-disk form of the reputation table (JSON, written atomically).</summary>
internal sealed record ReputationFile
{
    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("peers")]
    public IReadOnlyList<PeerRecord> Peers { get; init; } = [];
}

internal sealed record PeerRecord
{
    [JsonPropertyName("id")]
    public string Id { get; init; } = string.Empty;

    [JsonPropertyName("trust")]
    public double Trust { get; init; }

    [JsonPropertyName("observations")]
    public long Observations { get; init; }

    [JsonPropertyName("rejections")]
    public long Rejections { get; init; }

    [JsonPropertyName("signatureFailures")]
    public long SignatureFailures { get; init; }

    [JsonPropertyName("gateRejections")]
    public long GateRejections { get; init; }

    [JsonPropertyName("lastSeen")]
    public DateTimeOffset LastSeen { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ReputationFile))]
internal sealed partial class ReputationJsonContext : JsonSerializerContext;
