using System.Buffers.Binary;
using System.Text.Json;

namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>One tensor entry of a safetensors header, with the file that holds it.</summary>
/// <param name="DataStart">Absolute file offset of the tensor's first byte (8 + header length + begin).</param>
internal sealed record SafetensorsEntry(string File, string Name, string Dtype, long[] Shape, long DataStart, long ByteLength)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// Reads and validates the header of one safetensors file (huggingface/safetensors "Format": u64 LE header length
/// N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}, then the data) without
/// reading any tensor data. Checks what the reference implementation's validate() checks — offsets tile the data
/// exactly, each span matches its dtype and shape — and that the file is as long as the header says (a truncated
/// download is found here, before anything is loaded, and the message names the tensor cut off).
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Bytes per element of the dtypes the format defines (only F32, F16 and BF16 load as weights).</summary>
    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1,
        ["U8"] = 1, ["BOOL"] = 1, ["U16"] = 2, ["U32"] = 4, ["U64"] = 8, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
    };

    /// <summary>Rank bound: weights have rank ≤ 2, buffers a few more.</summary>
    private const int MaxRank = 8;

    public static IReadOnlyList<SafetensorsEntry> Read(string path, HfLoadLimits limits)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw new InvalidDataException($"{path}: truncated: {fileLength} bytes, the 8-byte header length is missing");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)limits.MaxHeaderBytes)
        {
            throw new InvalidDataException($"{path}: header of {headerLength} bytes is over the {limits.MaxHeaderBytes}-byte bound");
        }

        if ((long)headerLength > fileLength - 8)
        {
            throw new InvalidDataException($"{path}: truncated: the header needs {headerLength} bytes, {fileLength - 8} follow");
        }

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        var entries = new List<SafetensorsEntry>();
        var spans = new List<(long Begin, long End, string Name)>();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: header is not a JSON object");
            }

            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                if (entries.Count >= limits.MaxTensors)
                {
                    throw new InvalidDataException($"{path}: more than {limits.MaxTensors} tensors");
                }

                (SafetensorsEntry entry, long begin, long end) = Entry(path, property, dataStart);
                entries.Add(entry);
                spans.Add((begin, end, entry.Name));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON: {e.Message}", e);
        }

        spans.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach ((long begin, long end, string name) in spans)
        {
            if (begin != expected)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' starts at data byte {begin}, expected {expected} (gap or overlap)");
            }

            if (dataStart + end > fileLength)
            {
                throw new InvalidDataException($"{path}: truncated: tensor '{name}' ends at byte {dataStart + end}, the file has {fileLength}");
            }

            expected = end;
        }

        if (dataStart + expected != fileLength)
        {
            throw new InvalidDataException($"{path}: {fileLength - dataStart - expected} trailing bytes belong to no tensor");
        }

        return entries;
    }

    private static (SafetensorsEntry Entry, long Begin, long End) Entry(string path, JsonProperty property, long dataStart)
    {
        string name = property.Name;
        JsonElement e = property.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' lacks dtype, shape or data_offsets");
        }

        string dtype = dtypeElement.GetString()!;
        if (!ElementBytes.TryGetValue(dtype, out int size))
        {
            throw new InvalidDataException($"{path}: tensor '{name}' has unknown dtype {dtype}");
        }

        if (shapeElement.GetArrayLength() > MaxRank)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' has more than {MaxRank} dimensions");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            // Each dimension ≤ 2^40 and the running product checked against 2^40 too: no overflow below 2^80.
            const long MaxElements = 1L << 40;
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long value) || value < 0 || value > MaxElements)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has an invalid dimension {dim.GetRawText()}");
            }

            shape[i++] = value;
            count *= value;
            if (count > MaxElements)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has more than 2^40 elements");
            }
        }

        if (offsets.GetArrayLength() != 2 || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)
            || begin < 0 || end < begin)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' has invalid data_offsets");
        }

        if (end - begin != count * size)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' spans {end - begin} bytes, but {dtype} [{string.Join(',', shape)}] needs {count * size}");
        }

        return (new SafetensorsEntry(path, name, dtype, shape, dataStart + begin, end - begin), begin, end);
    }
}
