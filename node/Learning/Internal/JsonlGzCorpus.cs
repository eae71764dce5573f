using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// Reads the "text" field of every line of a gzip JSON-lines corpus (the shipped datasets/*.jsonl.gz).
/// Bounded: line length and total text are capped so a hostile or corrupt file cannot exhaust memory.
/// </summary>
internal static class JsonlGzCorpus
{
    /// <summary>16 MiB per line: the largest shipped document (a SOTU address) is under 300 KiB.</summary>
    public const int MaxLineChars = 16 << 20;

    /// <summary>256 MiB of text in total: 20× the shipped SOTU corpus.</summary>
    public const long MaxTotalChars = 256L << 20;

    public static IReadOnlyList<string> ReadTexts(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"corpus '{path}' does not exist", path);
        }

        var texts = new List<string>();
        long total = 0;
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var line = new StringBuilder();
        int lineNumber = 0;
        while (ReadBoundedLine(reader, line, path, lineNumber + 1))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string text = ParseText(line.ToString(), path, lineNumber);
            total += text.Length;
            if (total > MaxTotalChars)
            {
                throw new InvalidDataException($"{path}: more than {MaxTotalChars} characters of text");
            }

            texts.Add(text);
        }

        if (texts.Count == 0)
        {
            throw new InvalidDataException($"{path}: no documents");
        }

        return texts;
    }

    private static bool ReadBoundedLine(StreamReader reader, StringBuilder line, string path, int lineNumber)
    {
        line.Clear();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n')
            {
                return true;
            }

            if (line.Length >= MaxLineChars)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: line longer than {MaxLineChars} characters");
            }

            line.Append((char)c);
        }

        return line.Length > 0;
    }

    private static string ParseText(string line, string path, int lineNumber)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("text", out JsonElement text)
                && text.ValueKind == JsonValueKind.String)
            {
                return text.GetString()!;
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: not valid JSON ({e.Message})", e);
        }

        throw new InvalidDataException($"{path}:{lineNumber}: no string field \"text\"");
    }
}
