using System.Globalization;
using System.Text.Json;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>
/// A LoRA adapter in Hugging Face PEFT's layout, so <c>PeftModel.from_pretrained(base, dir)</c> loads what the mesh
/// learned: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha, target_modules, base_model_name_or_path, …)
/// and <c>adapter_model.safetensors</c> with tensors "base_model.model.&lt;module path&gt;.lora_A.weight" [r, in] and
/// "….lora_B.weight" [out, r] (float32). The base hash travels in the safetensors metadata (PEFT ignores it), so an
/// import onto another base is refused by name rather than silently misapplied.
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string TensorsFile = "adapter_model.safetensors";

    /// <summary>Metadata key holding the hex SHA-256 of the base (SPEC.md §4.2.2).</summary>
    public const string BaseHashKey = "fedmesh.base_sha256";

    /// <summary>adapter_config.json is a few hundred bytes; 1 MiB bounds the parse.</summary>
    private const int MaxConfigBytes = 1 << 20;

    /// <summary>True when <paramref name="directory"/> holds a PEFT adapter.</summary>
    public static bool IsPeft(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>Writes <paramref name="adapter"/> (flat, schema order) in PEFT's layout, both files atomically.</summary>
    public static void Save(string directory, HfBase baseModel, LoraOptions lora, AdapterSchema schema, ReadOnlySpan<float> adapter, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(lora);
        ArgumentNullException.ThrowIfNull(schema);
        if (adapter.Length != schema.TotalElements)
        {
            throw new ArgumentException($"adapter has {adapter.Length} values, the schema {schema.TotalElements}", nameof(adapter));
        }

        Directory.CreateDirectory(directory);
        var tensors = new List<NamedTensor>(schema.Tensors.Count);
        int at = 0;
        foreach (TensorInfo t in schema.Tensors)
        {
            tensors.Add(new NamedTensor(HfAdapterNames.PeftPrefix + t.Name, t.Shape.Select(d => (long)d).ToArray(), adapter.Slice(at, (int)t.ElementCount).ToArray()));
            at += (int)t.ElementCount;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", [BaseHashKey] = baseModel.HashHex };
        AtomicFile.Write(Path.Combine(directory, TensorsFile), Safetensors.Write(tensors, metadata), unixMode);
        IReadOnlyList<string> modules = HfAdapterSchema.Modules(baseModel.Config.Architecture, lora);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("peft_type", "LORA");
            w.WriteString("task_type", "CAUSAL_LM");
            w.WriteString("base_model_name_or_path", baseModel.Name);
            w.WriteNumber("r", lora.Rank);
            w.WriteNumber("lora_alpha", lora.Alpha);
            w.WriteNumber("lora_dropout", lora.Dropout);
            w.WriteStartArray("target_modules");
            foreach (string m in modules)
            {
                w.WriteStringValue(m);
            }

            w.WriteEndArray();
            w.WriteString("bias", "none");
            // GPT-2's Conv1D stores [in, out]; PEFT needs to know to transpose its delta (it warns and sets this itself).
            w.WriteBoolean("fan_in_fan_out", baseModel.Config.Architecture == HfArchitecture.Gpt2);
            w.WriteBoolean("inference_mode", true);
            w.WriteBoolean("use_rslora", false);
            w.WriteNull("modules_to_save");
            w.WriteEndObject();
        }

        AtomicFile.Write(Path.Combine(directory, ConfigFile), json.ToArray(), unixMode);
    }

    /// <summary>
    /// Reads a PEFT adapter for <paramref name="baseModel"/>: LoRA options from adapter_config.json, then every tensor
    /// of the resulting schema by PEFT name and shape. Throws naming the file and key/tensor; a recorded base hash
    /// that differs from <paramref name="baseModel"/>'s is refused ("adapter for another base").
    /// </summary>
    public static (LoraOptions Lora, AdapterSchema Schema, float[] Adapter) Load(string directory, HfBase baseModel)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        string configPath = Path.Combine(directory, ConfigFile);
        LoraOptions lora = ReadConfig(configPath);
        string tensorsPath = Path.Combine(directory, TensorsFile);
        SafetensorsContent content = Safetensors.ReadFile(tensorsPath);
        if (content.Metadata.TryGetValue(BaseHashKey, out string? recorded) && !string.Equals(recorded, baseModel.HashHex, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{tensorsPath}: adapter for another base: it was trained on base {recorded[..Math.Min(12, recorded.Length)]}…, this base is {baseModel.HashHex[..12]}…");
        }

        AdapterSchema schema;
        try
        {
            schema = HfAdapterSchema.Create(baseModel.Config, lora);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }

        var byName = content.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var flat = new float[schema.TotalElements];
        int at = 0;
        foreach (TensorInfo t in schema.Tensors)
        {
            string name = HfAdapterNames.PeftPrefix + t.Name;
            if (!byName.TryGetValue(name, out NamedTensor? tensor))
            {
                throw new InvalidDataException($"{tensorsPath}: tensor '{name}' is missing: adapter for another base or other target_modules");
            }

            if (!tensor.Shape.SequenceEqual(t.Shape.Select(d => (long)d)))
            {
                throw new InvalidDataException($"{tensorsPath}: tensor '{name}' has shape [{string.Join(',', tensor.Shape)}], this base needs [{string.Join(',', t.Shape)}]: adapter for another base");
            }

            tensor.Data.CopyTo(flat, at);
            at += tensor.Data.Length;
        }

        if (byName.Count != schema.Tensors.Count)
        {
            string extra = byName.Keys.First(k => !schema.Tensors.Any(t => HfAdapterNames.PeftPrefix + t.Name == k));
            throw new InvalidDataException($"{tensorsPath}: tensor '{extra}' belongs to no adapted module of this base");
        }

        return (lora, schema, flat);
    }

    private static LoraOptions ReadConfig(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length > MaxConfigBytes)
        {
            throw new InvalidDataException($"{path}: {(info.Exists ? $"over the {MaxConfigBytes}-byte bound" : "missing")}");
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 8 });
            JsonElement root = doc.RootElement;
            string type = root.TryGetProperty("peft_type", out JsonElement pt) ? pt.GetString() ?? string.Empty : string.Empty;
            if (type != "LORA")
            {
                throw new InvalidDataException($"key 'peft_type' is \"{type}\"; only LORA adapters load");
            }

            if (root.TryGetProperty("use_rslora", out JsonElement rs) && rs.ValueKind == JsonValueKind.True)
            {
                throw new InvalidDataException("key 'use_rslora' is true; only the α/r scaling is supported");
            }

            int rank = root.TryGetProperty("r", out JsonElement r) && r.TryGetInt32(out int rv) ? rv : throw new InvalidDataException("key 'r' is missing or not an integer");
            float alpha = root.TryGetProperty("lora_alpha", out JsonElement a) && a.TryGetSingle(out float av) ? av : throw new InvalidDataException("key 'lora_alpha' is missing or not a number");
            float dropout = root.TryGetProperty("lora_dropout", out JsonElement d) && d.TryGetSingle(out float dv) ? dv : 0f;
            if (!root.TryGetProperty("target_modules", out JsonElement tm) || tm.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("key 'target_modules' is missing or not a list of module names");
            }

            string[] modules = tm.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray();
            return LoraOptions.Default with { Rank = rank, Alpha = alpha, Dropout = dropout, Modules = modules };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>For messages: "r 8, α 16, c_attn".</summary>
    public static string Describe(LoraOptions lora, HfArchitecture architecture) => string.Create(CultureInfo.InvariantCulture,
        $"r {lora.Rank}, alpha {lora.Alpha}, {string.Join(' ', HfAdapterSchema.Modules(architecture, lora))}");
}
