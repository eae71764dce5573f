using System.IO.Compression;
using System.Text.Json;
using FedMesh.Node.Data.Internal;

namespace FedMesh.Node.Data.Corpora.Internal;

/// <summary>
/// Reads a shipped .jsonl.gz corpus one record at a time. The files come with the program, but they are still
/// parsed with bounds (line length, decompressed size, JSON depth), and a damaged file is reported with its path
/// and line instead of a bare parser exception.
/// </summary>
internal static class ShippedJsonl
{
    /// <summary>Longest record: 1 MiB, four times the longest shipped record (a 217 k-character SOTU address).</summary>
    private const int MaxLineBytes = 1024 * 1024;

    /// <summary>Largest decompressed corpus: 64 MiB, five times the shipped SOTU file (about 11 MB).</summary>
    private const long MaxDecompressedBytes = 64L * 1024 * 1024;

    /// <summary>Records are flat objects: depth 1; 4 leaves slack without allowing deep nesting.</summary>
    private const int MaxDepth = 4;

    /// <summary>Where the build copies the shipped corpora (node/datasets → output/datasets).</summary>
    public static string ShippedPath(string fileName) => Path.Combine(AppContext.BaseDirectory, "datasets", fileName);

    public static List<T> Read<T>(string path, Func<JsonElement, T> parse)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"corpus file '{path}' does not exist", path);
        }

        using var file = File.OpenRead(path);
        return Read(file, path, parse);
    }

    public static List<T> Read<T>(Stream gzip, string name, Func<JsonElement, T> parse)
    {
        var records = new List<T>();
        using var content = new BoundedReadStream(new GZipStream(gzip, CompressionMode.Decompress, leaveOpen: true), MaxDecompressedBytes);
        using var reader = new Utf8LineReader(content, MaxLineBytes);
        try
        {
            while (reader.TryReadLine(out var line, out bool tooLong))
            {
                if (tooLong)
                {
                    throw new InvalidDataException($"{name}: line {reader.LineNumber} is longer than {MaxLineBytes} bytes");
                }

                if (line.Span.Trim(" \t"u8).IsEmpty)
                {
                    continue;
                }

                try
                {
                    using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = MaxDepth });
                    records.Add(parse(document.RootElement));
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
                {
                    throw new InvalidDataException($"{name}: line {reader.LineNumber} is not a valid record: {ex.Message}", ex);
                }
            }
        }
        catch (ReadLimitExceededException ex)
        {
            throw new InvalidDataException($"{name}: {ex.Message}", ex);
        }

        return records;
    }

    /// <summary>A required string property.</summary>
    public static string String(JsonElement record, string name) =>
        record.GetProperty(name).GetString() ?? throw new FormatException($"field '{name}' is null");
}
