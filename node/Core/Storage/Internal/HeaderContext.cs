using System.Text.Json.Serialization;

namespace FedMesh.Node.Storage.Internal;

/// <summary>Source-generated JSON for checkpoint headers (no reflection, stable property names).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CheckpointFormat.Header))]
internal sealed partial class HeaderContext : JsonSerializerContext
{
}
