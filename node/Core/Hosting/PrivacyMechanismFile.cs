using System.Text.Json;
using System.Text.Json.Serialization;
using FedMesh.Node.Privacy;
using FedMesh.Node.Storage;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The privacy mechanism a node resolved at start (<see cref="NodePrivacy"/>: σ may be planned from the number of
/// records, q = B/n and δ = min(1e-5, 1/n) depend on the data), written to <see cref="StatePaths.PrivacyMechanism"/> so
/// that <c>fedmesh privacy</c>, which cannot load the data, opens the ledger with the daemon's own options.
/// </summary>
public static class PrivacyMechanismFile
{
    /// <summary>Largest file read back: it holds a few numbers.</summary>
    private const int MaxBytes = 4096;

    /// <summary>Writes the mechanism (atomically, 0600), or deletes the file when DP is off.</summary>
    public static void Write(string path, PrivacyOptions? options)
    {
        if (options is null)
        {
            File.Delete(path);
            return;
        }

        var record = new Mechanism(PrivacyLevels.Name(options.Level), options.ClipNorm, options.NoiseMultiplier, options.SamplingRate, options.StepsPerRelease, options.BudgetDelta);
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(record), StateDirectory.FileMode);
    }

    /// <summary>The options the file describes (budget ε left at its default), or null when it is absent or unusable.</summary>
    public static PrivacyOptions? TryRead(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes)
            {
                return null;
            }

            Mechanism? m = JsonSerializer.Deserialize<Mechanism>(File.ReadAllBytes(path));
            if (m is null || PrivacyLevels.Parse(m.Level) is not { } level || level == PrivacyLevel.Off)
            {
                return null;
            }

            PrivacyOptions options = PrivacyOptions.Default with
            {
                Level = level,
                ClipNorm = m.ClipNorm,
                NoiseMultiplier = m.NoiseMultiplier,
                SamplingRate = m.SamplingRate,
                StepsPerRelease = m.StepsPerRelease,
                BudgetDelta = m.Delta,
            };
            return options.Validate().Count == 0 ? options : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private sealed record Mechanism(
        [property: JsonPropertyName("level")] string Level,
        [property: JsonPropertyName("clip_norm")] double ClipNorm,
        [property: JsonPropertyName("noise_multiplier")] double NoiseMultiplier,
        [property: JsonPropertyName("sampling_rate")] double SamplingRate,
        [property: JsonPropertyName("steps_per_round")] long StepsPerRelease,
        [property: JsonPropertyName("delta")] double Delta);
}
