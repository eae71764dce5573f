using System.Text;
using FedMesh.Node.Learning.HuggingFace;

namespace FedMesh.Node.Learning.Internal;

/// <summary>Documents as one token stream, with the UTF-8 bytes its predicted tokens stand for (bits-per-byte denominator).</summary>
internal sealed record TokenStream(int[] Tokens, long Bytes);

/// <summary>How a learner turns documents into token ids: bytes for the built-in model, a tokenizer for a Hugging Face base.</summary>
internal abstract class TokenCodec
{
    /// <summary>Id appended after every document, so the model learns where documents stop (and pads short records).</summary>
    public abstract int Separator { get; }

    /// <summary>
    /// One more than the largest id <see cref="Decode"/> stands for. A checkpoint's embedding may have more rows than
    /// its tokenizer has ids (vocabularies padded to a multiple of 64 or 128 for speed, as Qwen's and many others are):
    /// generation samples only below this bound, since the extra rows decode to nothing.
    /// </summary>
    public abstract int DecodableIds { get; }

    /// <summary>Token ids of one document (no separator).</summary>
    public abstract int[] Encode(string text);

    /// <summary>Text of token ids (invalid UTF-8 becomes U+FFFD).</summary>
    public abstract string Decode(IReadOnlyList<int> ids);

    /// <summary>The ids a generation starts from: the prompt, after the start token where the model has one.</summary>
    public abstract int[] Prompt(string text);

    /// <summary>The documents' tokens, each followed by <see cref="Separator"/>, stopping at <paramref name="maxBytes"/> of text.</summary>
    public abstract TokenStream Stream(IReadOnlyList<string> documents, long maxBytes = int.MaxValue);

    /// <summary>Per-document records for DP-SGD: tokens then the separator.</summary>
    public int[][] Records(IReadOnlyList<string> documents) =>
        documents.Select(d => (int[])[.. Encode(d), Separator]).ToArray();
}

/// <summary>Bytes are tokens (the built-in model): the stream and its byte count are exactly what they always were.</summary>
internal sealed class ByteCodec : TokenCodec
{
    public static readonly ByteCodec Instance = new();

    public override int Separator => ByteStream.Separator;

    /// <summary>Every byte value.</summary>
    public override int DecodableIds => 256;

    public override int[] Encode(string text) => Array.ConvertAll(Encoding.UTF8.GetBytes(text), b => (int)b);

    public override string Decode(IReadOnlyList<int> ids) => Encoding.UTF8.GetString(ids.Select(i => (byte)i).ToArray());

    /// <summary>The byte model has no start token; an empty prompt starts after a document separator.</summary>
    public override int[] Prompt(string text) => text.Length == 0 ? [Separator] : Encode(text);

    /// <summary>Every byte but the first is predicted, so the denominator is length − 1.</summary>
    public override TokenStream Stream(IReadOnlyList<string> documents, long maxBytes = int.MaxValue)
    {
        byte[] bytes = ByteStream.Concatenate(documents, maxBytes);
        return new TokenStream(Array.ConvertAll(bytes, b => (int)b), Math.Max(0, bytes.Length - 1));
    }
}

/// <summary>
/// A Hugging Face tokenizer. The stream starts with the start token (BOS, else EOS as GPT-2 uses &lt;|endoftext|&gt;),
/// so every text token is predicted, and documents end with EOS. Bits per byte = summed loss over the predicted
/// tokens / (ln 2 × UTF-8 bytes of the text): loss per token × tokens per byte, comparable across tokenizers.
/// </summary>
internal sealed class HfCodec : TokenCodec
{
    private readonly HfTokenizer _tokenizer;
    private readonly int _start;

    public HfCodec(HfBase baseModel)
    {
        _tokenizer = baseModel.Tokenizer;
        HfModelConfig c = baseModel.Config;
        Separator = c.EosTokenId ?? c.BosTokenId
            ?? throw new InvalidDataException($"{baseModel.Directory}/config.json: neither eos_token_id nor bos_token_id is set; documents cannot be separated");
        _start = c.BosTokenId ?? Separator;
    }

    public override int Separator { get; }

    /// <summary>The tokenizer's ids (special tokens included) and the separator, whichever reaches further.</summary>
    public override int DecodableIds => Math.Max(_tokenizer.VocabularySize, Separator + 1);

    public override int[] Encode(string text) => _tokenizer.Encode(text);

    public override string Decode(IReadOnlyList<int> ids) => _tokenizer.Decode(ids);

    public override int[] Prompt(string text) => [_start, .. Encode(text)];

    public override TokenStream Stream(IReadOnlyList<string> documents, long maxBytes = int.MaxValue)
    {
        var tokens = new List<int> { _start };
        long bytes = 0;
        foreach (string doc in documents)
        {
            if (bytes >= maxBytes)
            {
                break;
            }

            string text = doc;
            int count = Encoding.UTF8.GetByteCount(text);
            if (bytes + count > maxBytes)
            {
                text = Prefix(text, maxBytes - bytes);
                count = Encoding.UTF8.GetByteCount(text);
            }

            tokens.AddRange(Encode(text));
            tokens.Add(Separator);
            bytes += count;
        }

        return new TokenStream([.. tokens], bytes);
    }

    /// <summary>The longest prefix of whole characters with at most <paramref name="budget"/> UTF-8 bytes.</summary>
    private static string Prefix(string text, long budget)
    {
        int bytes = 0, i = 0;
        while (i < text.Length)
        {
            int step = char.IsSurrogatePair(text, i) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(text.AsSpan(i, step));
            if (bytes + size > budget)
            {
                break;
            }

            bytes += size;
            i += step;
        }

        return text[..i];
    }
}
