using System.Text.Json;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Learning;

/// <summary>
/// A saved adapter: "adapter.safetensors" (tensors in schema order) plus "adapter.json" (rank, alpha, dropout,
/// targets, base-model hash, schema hash) in one directory. Both are written atomically, the tensors first,
/// so a config never names tensors that are not there.
/// </summary>
public sealed record AdapterCheckpoint(LoraOptions Lora, byte[] BaseModelHash, byte[] SchemaHash, float[] Adapter)
{
    public const string TensorsFile = "adapter.safetensors";
    public const string ConfigFile = "adapter.json";

    /// <summary>The config is a handful of fields; 64 KiB is a generous cap before parsing.</summary>
    private const int MaxConfigBytes = 64 * 1024;

    /// <summary>Saves the learner's current adapter with its LoRA options.</summary>
    /// <param name="unixMode">Mode of the files on Unix (0600 inside a state directory); null keeps the umask default.</param>
    public static void Save(string directory, ILearner learner, LoraOptions lora, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(lora);
        AdapterSchema schema = learner.Schema;
        float[] flat = learner.GetAdapter();
        var tensors = new List<NamedTensor>(schema.Tensors.Count);
        int at = 0;
        foreach (TensorInfo t in schema.Tensors)
        {
            tensors.Add(new NamedTensor(t.Name, t.Shape.Select(d => (long)d).ToArray(), flat.AsSpan(at, (int)t.ElementCount).ToArray()));
            at += (int)t.ElementCount;
        }

        AtomicFile.Write(Path.Combine(directory, TensorsFile), Safetensors.Write(tensors), unixMode);
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("rank", lora.Rank);
            writer.WriteNumber("alpha", lora.Alpha);
            writer.WriteNumber("dropout", lora.Dropout);
            writer.WriteString("targets", lora.Targets.ToString());
            writer.WriteString("base_model_hash", Convert.ToHexStringLower(learner.BaseModelHash.Span));
            writer.WriteString("schema_hash", schema.HashHex);
            writer.WriteEndObject();
        }

        AtomicFile.Write(Path.Combine(directory, ConfigFile), json.ToArray(), unixMode);
    }

    /// <summary>Loads and validates both files; throws <see cref="InvalidDataException"/> naming the fault.</summary>
    public static AdapterCheckpoint Load(string directory)
    {
        string configPath = Path.Combine(directory, ConfigFile);
        if (new FileInfo(configPath) is { Exists: true, Length: > MaxConfigBytes })
        {
            throw new InvalidDataException($"{configPath}: larger than {MaxConfigBytes} bytes");
        }

        LoraOptions lora;
        byte[] baseHash;
        byte[] schemaHash;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(configPath), new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = doc.RootElement;
            lora = new LoraOptions
            {
                Rank = root.GetProperty("rank").GetInt32(),
                Alpha = root.GetProperty("alpha").GetSingle(),
                Dropout = root.GetProperty("dropout").GetSingle(),
                Targets = Enum.TryParse(root.GetProperty("targets").GetString(), out LoraTargets t) ? t
                    : throw new InvalidDataException("unknown LoRA targets"),
            };
            baseHash = Convert.FromHexString(root.GetProperty("base_model_hash").GetString() ?? string.Empty);
            schemaHash = Convert.FromHexString(root.GetProperty("schema_hash").GetString() ?? string.Empty);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }

        SafetensorsContent content = Safetensors.ReadFile(Path.Combine(directory, TensorsFile));
        float[] flat = content.Tensors.SelectMany(t => t.Data).ToArray();
        return new AdapterCheckpoint(lora, baseHash, schemaHash, flat);
    }

    /// <summary>Loads into <paramref name="learner"/> after checking base, schema and length.</summary>
    public static void LoadInto(string directory, ILearner learner)
    {
        ArgumentNullException.ThrowIfNull(learner);
        AdapterCheckpoint checkpoint = Load(directory);
        if (DeltaCompatibility.Check(learner, checkpoint.BaseModelHash, checkpoint.SchemaHash, checkpoint.Adapter.LongLength) is { } reason)
        {
            throw new InvalidDataException($"{directory}: adapter does not fit this learner: {reason}");
        }

        learner.SetAdapter(checkpoint.Adapter);
    }
}
