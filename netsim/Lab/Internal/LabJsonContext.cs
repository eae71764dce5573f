using System.Text.Json.Serialization;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>Source-generated JSON for the state file (snake_case keys, indented so a person can read it).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LabState))]
internal sealed partial class LabJsonContext : JsonSerializerContext;
