using System.Text.Json.Serialization;

namespace FedMesh.Node.Privacy.Internal;

/// <summary>
/// One line of the privacy ledger. <c>kind</c> is "release" (a reserved release), "torn" (the conservative
/// charge for a torn last record found on open; <c>tornOffset</c>/<c>tornLength</c> name the damaged bytes) or
/// "lost" (the conservative charge an operator accepted for records cut off the end of the ledger, found by its
/// anchor; <c>lost</c> is how many). "lost" is an addition within version 1: a reader that does not know it
/// refuses the file as corrupt, which never under-counts.
/// </summary>
internal sealed record LedgerRecord
{
    public const string ReleaseKind = "release";
    public const string TornKind = "torn";
    public const string LostKind = "lost";

    [JsonPropertyName("v")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("seq")]
    public long Sequence { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = ReleaseKind;

    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    [JsonPropertyName("c")]
    public double ClipNorm { get; init; }

    [JsonPropertyName("sigma")]
    public double NoiseMultiplier { get; init; }

    [JsonPropertyName("q")]
    public double SamplingRate { get; init; }

    [JsonPropertyName("steps")]
    public long Steps { get; init; }

    /// <summary>"record" or "node" (<see cref="PrivacyLevels"/>); absent in records written before levels existed,
    /// which were all node-level.</summary>
    [JsonPropertyName("level")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Level { get; init; }

    [JsonPropertyName("content")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ContentId { get; init; }

    /// <summary>Running ε (improved conversion) after this record at <see cref="Delta"/>; informational, the
    /// ledger recomputes it from the parameters on open.</summary>
    [JsonPropertyName("eps")]
    public double EpsilonAfter { get; init; }

    [JsonPropertyName("delta")]
    public double Delta { get; init; }

    [JsonPropertyName("tornOffset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? TornOffset { get; init; }

    [JsonPropertyName("tornLength")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? TornLength { get; init; }

    /// <summary>For "lost": how many anchored records were missing when the operator acknowledged it.</summary>
    [JsonPropertyName("lost")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LostRecords { get; init; }

    public GaussianRelease Release => new(ClipNorm, NoiseMultiplier, SamplingRate, Steps);
}

[JsonSourceGenerationOptions(WriteIndented = false, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(LedgerRecord))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
