using System.Globalization;
using System.Text.Json;

namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>The two decoder layouts this node computes.</summary>
public enum HfArchitecture
{
    /// <summary>GPT-2: learned positions, LayerNorm, fused c_attn Conv1D ([in, out] weights), GELU (tanh) MLP, tied head.</summary>
    Gpt2 = 0,

    /// <summary>Llama layout (llama, qwen2, mistral): RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention.</summary>
    Llama = 1,
}

/// <summary>
/// The shape of a Hugging Face causal language model, read from its <c>config.json</c> (transformers'
/// <c>GPT2Config</c>, <c>LlamaConfig</c>, <c>Qwen2Config</c>, <c>MistralConfig</c> field names and defaults).
/// Every value is bounded before use: a hostile config cannot ask for absurd allocations.
/// </summary>
public sealed record HfModelConfig
{
    /// <summary>config.json is a few kilobytes; 1 MiB bounds what is parsed.</summary>
    public const int MaxConfigBytes = 1 << 20;

    /// <summary>model_type values this node computes, and the layout each uses.</summary>
    public static readonly IReadOnlyDictionary<string, HfArchitecture> ModelTypes = new Dictionary<string, HfArchitecture>(StringComparer.Ordinal)
    {
        ["gpt2"] = HfArchitecture.Gpt2,
        ["llama"] = HfArchitecture.Llama,
        ["qwen2"] = HfArchitecture.Llama,
        ["mistral"] = HfArchitecture.Llama,
    };

    public required string ModelType { get; init; }

    public HfArchitecture Architecture => ModelTypes[ModelType];

    public required int VocabSize { get; init; }

    public required int Hidden { get; init; }

    public required int Layers { get; init; }

    public required int Heads { get; init; }

    /// <summary>Key/value heads (grouped-query attention); equals <see cref="Heads"/> for GPT-2 and plain multi-head.</summary>
    public required int KvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int Intermediate { get; init; }

    /// <summary>Longest sequence the model was trained for (GPT-2: its learned position table).</summary>
    public required int MaxPositions { get; init; }

    /// <summary>LayerNorm ε (GPT-2) or RMSNorm ε (Llama layout).</summary>
    public required double NormEpsilon { get; init; }

    /// <summary>Rotary base θ (Llama layout; Su et al. 2021, "RoFormer", §3.2.2).</summary>
    public double RopeTheta { get; init; } = 10000;

    public required bool TieEmbeddings { get; init; }

    /// <summary>q, k and v projections carry biases (qwen2 always; llama when attention_bias is true).</summary>
    public bool QkvBias { get; init; }

    /// <summary>The output projection carries a bias (llama attention_bias).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Token id that ends a document (eos_token_id), used as the document separator; null when absent.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Token id that starts a sequence (bos_token_id); null when absent.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Reads and validates <paramref name="path"/>; errors name the file and the key.</summary>
    public static HfModelConfig Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{path}: not found (a Hugging Face model folder has a config.json)", path);
        }

        if (info.Length > MaxConfigBytes)
        {
            throw new InvalidDataException($"{path}: {info.Length} bytes, over the {MaxConfigBytes}-byte bound of a config.json");
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
            return Parse(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the root object of a config.json.</summary>
    public static HfModelConfig Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("the config is not a JSON object");
        }

        string modelType = root.TryGetProperty("model_type", out JsonElement mt) && mt.ValueKind == JsonValueKind.String
            ? mt.GetString()! : throw new InvalidDataException("key 'model_type' is missing or not a string");
        if (!ModelTypes.TryGetValue(modelType, out HfArchitecture architecture))
        {
            throw new InvalidDataException($"key 'model_type' is \"{modelType}\", unsupported (supported: {string.Join(", ", ModelTypes.Keys)})");
        }

        HfModelConfig config = architecture == HfArchitecture.Gpt2 ? ParseGpt2(root, modelType) : ParseLlama(root, modelType);
        config.Validate();
        return config;
    }

    private static HfModelConfig ParseGpt2(JsonElement root, string modelType)
    {
        int hidden = Int(root, "n_embd", 768);
        int heads = Int(root, "n_head", 12);
        string act = Str(root, "activation_function", "gelu_new");
        if (act is not ("gelu_new" or "gelu_pytorch_tanh"))
        {
            throw new InvalidDataException($"key 'activation_function' is \"{act}\"; only the tanh GELU of GPT-2 (gelu_new) is supported");
        }

        return new HfModelConfig
        {
            ModelType = modelType,
            VocabSize = Int(root, "vocab_size", 50257),
            Hidden = hidden,
            Layers = Int(root, "n_layer", 12),
            Heads = heads,
            KvHeads = heads,
            HeadDim = heads > 0 ? hidden / heads : 0,
            // n_inner null means 4 × n_embd (GPT2Config).
            Intermediate = root.TryGetProperty("n_inner", out JsonElement inner) && inner.ValueKind == JsonValueKind.Number ? Int(root, "n_inner", 0) : 4 * hidden,
            MaxPositions = Int(root, "n_positions", 1024),
            NormEpsilon = Double(root, "layer_norm_epsilon", 1e-5),
            TieEmbeddings = true,
            EosTokenId = OptionalInt(root, "eos_token_id"),
            BosTokenId = OptionalInt(root, "bos_token_id"),
        };
    }

    private static HfModelConfig ParseLlama(JsonElement root, string modelType)
    {
        if (root.TryGetProperty("rope_scaling", out JsonElement scaling) && scaling.ValueKind != JsonValueKind.Null)
        {
            throw new InvalidDataException("key 'rope_scaling' is set; only plain rotary positions (rope_scaling null) are supported");
        }

        string act = Str(root, "hidden_act", "silu");
        if (act != "silu")
        {
            throw new InvalidDataException($"key 'hidden_act' is \"{act}\"; only silu (SwiGLU) is supported");
        }

        if (Bool(root, "mlp_bias", false))
        {
            throw new InvalidDataException("key 'mlp_bias' is true; MLP biases are not supported");
        }

        int hidden = Int(root, "hidden_size", 4096);
        int heads = Int(root, "num_attention_heads", 32);
        bool attentionBias = Bool(root, "attention_bias", false);
        int maxPositions = Int(root, "max_position_embeddings", 2048);
        // Mistral's sliding window only changes attention beyond the window: capping the context at it keeps the
        // computation exact for every sequence this node forms.
        if (modelType == "mistral" && root.TryGetProperty("sliding_window", out JsonElement window) && window.ValueKind == JsonValueKind.Number)
        {
            maxPositions = Math.Min(maxPositions, Int(root, "sliding_window", maxPositions));
        }

        return new HfModelConfig
        {
            ModelType = modelType,
            VocabSize = Int(root, "vocab_size", 32000),
            Hidden = hidden,
            Layers = Int(root, "num_hidden_layers", 32),
            Heads = heads,
            KvHeads = root.TryGetProperty("num_key_value_heads", out JsonElement kv) && kv.ValueKind == JsonValueKind.Number ? Int(root, "num_key_value_heads", heads) : heads,
            HeadDim = root.TryGetProperty("head_dim", out JsonElement hd) && hd.ValueKind == JsonValueKind.Number ? Int(root, "head_dim", 0) : heads > 0 ? hidden / heads : 0,
            Intermediate = Int(root, "intermediate_size", 11008),
            MaxPositions = maxPositions,
            NormEpsilon = Double(root, "rms_norm_eps", 1e-6),
            RopeTheta = Double(root, "rope_theta", 10000),
            TieEmbeddings = Bool(root, "tie_word_embeddings", false),
            // Qwen2 always has q/k/v biases and no output bias (Qwen2Attention); Llama has all four or none.
            QkvBias = modelType == "qwen2" || attentionBias,
            OutputBias = modelType != "qwen2" && attentionBias,
            EosTokenId = OptionalInt(root, "eos_token_id"),
            BosTokenId = OptionalInt(root, "bos_token_id"),
        };
    }

    /// <summary>Bounds every size; messages name the config key.</summary>
    private void Validate()
    {
        bool gpt2 = Architecture == HfArchitecture.Gpt2;
        // Bounds: a little above the largest models of these families that a CPU node could hold at all.
        Check(VocabSize is >= 2 and <= 1 << 20, gpt2 ? "vocab_size" : "vocab_size", "must be 2..1048576");
        Check(Hidden is >= 8 and <= 16384, gpt2 ? "n_embd" : "hidden_size", "must be 8..16384");
        Check(Layers is >= 1 and <= 256, gpt2 ? "n_layer" : "num_hidden_layers", "must be 1..256");
        Check(Heads is >= 1 and <= 256, gpt2 ? "n_head" : "num_attention_heads", "must be 1..256");
        Check(KvHeads >= 1 && KvHeads <= Heads && Heads % KvHeads == 0, "num_key_value_heads", $"must divide num_attention_heads ({Heads})");
        Check(HeadDim is >= 2 and <= 1024 && HeadDim % 2 == 0, gpt2 ? "n_head" : "head_dim", "must give an even head dimension of 2..1024");
        Check(!gpt2 || Hidden % Heads == 0, "n_head", $"must divide n_embd ({Hidden})");
        Check(Intermediate is >= 1 and <= 1 << 17, gpt2 ? "n_inner" : "intermediate_size", "must be 1..131072");
        Check(MaxPositions is >= 2 and <= 1 << 20, gpt2 ? "n_positions" : "max_position_embeddings", "must be 2..1048576");
        Check(NormEpsilon is > 0 and < 1, gpt2 ? "layer_norm_epsilon" : "rms_norm_eps", "must be in (0, 1)");
        Check(RopeTheta is > 1 and < 1e12, "rope_theta", "must be in (1, 1e12)");
        Check(EosTokenId is null || (EosTokenId >= 0 && EosTokenId < VocabSize), "eos_token_id", $"must be below vocab_size ({VocabSize})");
        Check(BosTokenId is null || (BosTokenId >= 0 && BosTokenId < VocabSize), "bos_token_id", $"must be below vocab_size ({VocabSize})");
    }

    private static void Check(bool ok, string key, string message)
    {
        if (!ok)
        {
            throw new InvalidDataException($"key '{key}' {message}");
        }
    }

    private static int Int(JsonElement root, string key, int fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)
            ? v : throw new InvalidDataException($"key '{key}' is not a 32-bit integer ({e.GetRawText()})");
    }

    /// <summary>An integer, or the first of a list (eos_token_id may be a list in newer configs), or null.</summary>
    private static int? OptionalInt(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        JsonElement first = e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 ? e[0] : e;
        return first.ValueKind == JsonValueKind.Number && first.TryGetInt32(out int v)
            ? v : throw new InvalidDataException($"key '{key}' is not an integer ({e.GetRawText()})");
    }

    private static double Double(JsonElement root, string key, double fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        return e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v)
            ? v : throw new InvalidDataException($"key '{key}' is not a finite number ({e.GetRawText()})");
    }

    private static bool Bool(JsonElement root, string key, bool fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"key '{key}' is not true or false ({e.GetRawText()})"),
        };
    }

    private static string Str(JsonElement root, string key, string fallback)
    {
        if (!root.TryGetProperty(key, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidDataException($"key '{key}' is not a string");
    }

    /// <summary>For messages: "gpt2, 12 layers x 768, 12 heads (12 kv), vocab 50257".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{ModelType}, {Layers} layers x {Hidden}, {Heads} heads ({KvHeads} kv), vocab {VocabSize}");
}
