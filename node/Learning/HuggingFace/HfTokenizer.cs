using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>
/// A model folder's tokenizer, built by Microsoft.ML.Tokenizers (no hand-written BPE): GPT-2's byte-level BPE from
/// <c>vocab.json</c> + <c>merges.txt</c> (BpeTokenizer in byte-level mode with GPT-2's pre-tokenizer regex),
/// SentencePiece from <c>tokenizer.model</c> (LlamaTokenizer), or a Hugging Face <c>tokenizer.json</c> holding a
/// byte-level BPE model (Llama 3, Qwen2, SmolLM; BpeTokenizer with its Split regex) or a Unigram model.
/// </summary>
public sealed class HfTokenizer
{
    private HfTokenizer(Tokenizer tokenizer, string source, int vocabularySize)
    {
        Tokenizer = tokenizer;
        Source = source;
        VocabularySize = vocabularySize;
    }

    public Tokenizer Tokenizer { get; }

    /// <summary>The file(s) it was built from, for messages.</summary>
    public string Source { get; }

    /// <summary>One more than the largest token id the tokenizer can produce (vocabulary plus special tokens).</summary>
    public int VocabularySize { get; }

    /// <summary>Token ids of <paramref name="text"/> (no BOS/EOS added: the learner places separators itself).</summary>
    public int[] Encode(string text) => [.. Tokenizer.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => Tokenizer.Decode(ids) ?? string.Empty;

    /// <summary>Builds the tokenizer of a model folder; errors name the file.</summary>
    public static HfTokenizer Load(string directory, HfLoadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        string vocab = Path.Combine(directory, "vocab.json");
        string merges = Path.Combine(directory, "merges.txt");
        string json = Path.Combine(directory, "tokenizer.json");
        string model = Path.Combine(directory, "tokenizer.model");
        if (File.Exists(vocab) && File.Exists(merges))
        {
            return Build($"{vocab} + {merges}", () =>
            {
                using (OpenBounded(vocab, limits))
                using (OpenBounded(merges, limits))
                {
                    // BpeTokenizer in byte-level mode with GPT-2's pre-tokenizer regex and its one added token
                    // (CodeGenTokenizer.Create would add CodeGen's 38 extra tokens past GPT-2's vocabulary).
                    Dictionary<string, int> special = EndOfText(vocab);
                    var options = new BpeOptions(vocab, merges)
                    {
                        ByteLevel = true,
                        SpecialTokens = special.Count > 0 ? special : null,
                        PreTokenizer = new RegexPreTokenizer(Gpt2Split(), special.Count > 0 ? special : null),
                    };
                    BpeTokenizer t = BpeTokenizer.Create(options);
                    return (t, Size(t.Vocabulary.Values, special.Values));
                }
            });
        }

        if (File.Exists(json))
        {
            return FromTokenizerJson(json, limits);
        }

        if (File.Exists(model))
        {
            return Build(model, () =>
            {
                using Stream s = OpenBounded(model, limits);
                LlamaTokenizer t = LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false);
                return (t, Size(t.Vocabulary.Values, t.SpecialTokens?.Values));
            });
        }

        throw new FileNotFoundException($"{directory}: no tokenizer (vocab.json + merges.txt, tokenizer.json or tokenizer.model)", json);
    }

    private static HfTokenizer FromTokenizerJson(string path, HfLoadLimits limits)
    {
        byte[] bytes;
        using (Stream s = OpenBounded(path, limits))
        {
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            bytes = copy.ToArray();
        }

        string type;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            type = doc.RootElement.TryGetProperty("model", out JsonElement m) && m.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()! : throw new InvalidDataException($"{path}: key 'model.type' is missing");
            if (type == "BPE")
            {
                return Build(path, () => ByteLevelBpe(doc.RootElement, path));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }

        if (type == "Unigram")
        {
            return Build(path, () =>
            {
                SentencePieceTokenizer t = SentencePieceTokenizer.CreateFromTokenizerJson(new MemoryStream(bytes), addBeginningOfSentence: false, addEndOfSentence: false);
                return (t, Size(t.Vocabulary.Values, t.SpecialTokens?.Values));
            });
        }

        throw new InvalidDataException($"{path}: key 'model.type' is \"{type}\"; supported: BPE (byte-level), Unigram");
    }

    /// <summary>A byte-level BPE tokenizer.json: vocab and merges from "model", the pre-tokenizer's Split regex, added tokens.</summary>
    private static (Tokenizer, int) ByteLevelBpe(JsonElement root, string path)
    {
        JsonElement model = root.GetProperty("model");
        if (!model.TryGetProperty("vocab", out JsonElement vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path}: key 'model.vocab' is missing");
        }

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty p in vocabElement.EnumerateObject())
        {
            vocabulary[p.Name] = p.Value.TryGetInt32(out int id) && id >= 0 ? id : throw new InvalidDataException($"{path}: model.vocab['{p.Name}'] is not a token id");
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out JsonElement mergesElement))
        {
            foreach (JsonElement m in mergesElement.EnumerateArray())
            {
                // Newer tokenizers store merges as ["a", "b"] pairs, older ones as "a b".
                merges.Add(m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString() ?? string.Empty);
            }
        }

        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement a in added.EnumerateArray())
            {
                if (a.TryGetProperty("content", out JsonElement c) && a.TryGetProperty("id", out JsonElement id) && id.TryGetInt32(out int value))
                {
                    special[c.GetString()!] = value;
                }
            }
        }

        string? pattern = FindSplitRegex(root.TryGetProperty("pre_tokenizer", out JsonElement pre) ? pre : default);
        if (pattern is null || !ContainsByteLevel(root))
        {
            throw new InvalidDataException($"{path}: only byte-level BPE tokenizers (a ByteLevel pre-tokenizer or decoder with a Split regex) are supported");
        }

        var options = new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = special.Count > 0 ? special : null,
            // Regex timeout: a pathological input must not stall the node (1 s per pre-tokenizer match is generous).
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled, TimeSpan.FromSeconds(1)), special.Count > 0 ? special : null),
        };
        BpeTokenizer tokenizer = BpeTokenizer.Create(options);
        return (tokenizer, Size(vocabulary.Values, special.Values));
    }

    private const string EndOfTextToken = "<|endoftext|>";

    /// <summary>GPT-2's pre-tokenizer pattern (openai/gpt-2 src/encoder.py); 1 s match timeout against pathological input.</summary>
    private static Regex Gpt2Split() => new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled, TimeSpan.FromSeconds(1));

    /// <summary>&lt;|endoftext|&gt; with its id from vocab.json, when the vocabulary has it.</summary>
    private static Dictionary<string, int> EndOfText(string vocabPath)
    {
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        using Stream s = File.OpenRead(vocabPath);
        using JsonDocument doc = JsonDocument.Parse(s);
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(EndOfTextToken, out JsonElement id) && id.TryGetInt32(out int value))
        {
            special[EndOfTextToken] = value;
        }

        return special;
    }

    /// <summary>The "Split" pre-tokenizer's regex, directly or inside a "Sequence".</summary>
    private static string? FindSplitRegex(JsonElement pre)
    {
        if (pre.ValueKind != JsonValueKind.Object || !pre.TryGetProperty("type", out JsonElement type))
        {
            return null;
        }

        if (type.GetString() == "Split" && pre.TryGetProperty("pattern", out JsonElement p) && p.TryGetProperty("Regex", out JsonElement r))
        {
            return r.GetString();
        }

        if (type.GetString() == "Sequence" && pre.TryGetProperty("pretokenizers", out JsonElement list))
        {
            foreach (JsonElement inner in list.EnumerateArray())
            {
                if (FindSplitRegex(inner) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static bool ContainsByteLevel(JsonElement root) =>
        root.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);

    private static int Size(IEnumerable<int> vocabulary, IEnumerable<int>? special) =>
        Math.Max(vocabulary.DefaultIfEmpty(-1).Max(), special?.DefaultIfEmpty(-1).Max() ?? -1) + 1;

    private static HfTokenizer Build(string source, Func<(Tokenizer Tokenizer, int Size)> create)
    {
        try
        {
            (Tokenizer tokenizer, int size) = create();
            return new HfTokenizer(tokenizer, source, size);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"{source}: not a usable tokenizer: {e.Message}", e);
        }
    }

    private static FileStream OpenBounded(string path, HfLoadLimits limits)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > limits.MaxTokenizerBytes)
        {
            stream.Dispose();
            throw new InvalidDataException($"{path}: {new FileInfo(path).Length} bytes, over the {limits.MaxTokenizerBytes}-byte bound of a tokenizer file");
        }

        return stream;
    }
}
