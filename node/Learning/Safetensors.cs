using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace FedMesh.Node.Learning;

/// <summary>A named float32 tensor as stored in a safetensors file (row-major).</summary>
public sealed record NamedTensor(string Name, IReadOnlyList<long> Shape, float[] Data);

/// <summary>The decoded content of a safetensors file: free-form string metadata and tensors in data order.</summary>
public sealed record SafetensorsContent(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<NamedTensor> Tensors);

/// <summary>Bounds applied before an untrusted safetensors file is parsed.</summary>
public sealed record SafetensorsLimits
{
    public static readonly SafetensorsLimits Default = new();

    /// <summary>1 MiB of JSON header: ≈10 000 tensors, far beyond any model here (the format allows 100 MB).</summary>
    public int MaxHeaderBytes { get; init; } = 1 << 20;

    /// <summary>1 GiB: larger than any byte-level model this node trains, smaller than a .NET array can hold.</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;

    /// <summary>4096 tensors: a 64-layer model has ≈1000 base tensors.</summary>
    public int MaxTensors { get; init; } = 4096;

    /// <summary>Rank 8: more than any tensor here needs (at most 2).</summary>
    public int MaxRank { get; init; } = 8;
}

/// <summary>
/// Minimal reader/writer of the safetensors format (huggingface/safetensors, "Format"): u64 LE header length
/// N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
/// then the raw little-endian data. Only F32 is written or accepted. The writer is deterministic (same tensors,
/// same bytes), so a file's SHA-256 identifies its content.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";
    private const string Float32 = "F32";

    /// <summary>The format pads the header with spaces so the data starts 8-byte aligned.</summary>
    private const int Alignment = 8;

    public static byte[] Write(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
        }

        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    json.WriteString(kv.Key, kv.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (NamedTensor t in tensors)
            {
                long count = t.Shape.Aggregate(1L, (a, b) => checked(a * b));
                if (count != t.Data.LongLength)
                {
                    throw new ArgumentException($"tensor '{t.Name}' has {t.Data.Length} values but shape [{string.Join(',', t.Shape)}]", nameof(tensors));
                }

                json.WriteStartObject(t.Name);
                json.WriteString("dtype", Float32);
                json.WriteStartArray("shape");
                foreach (long dim in t.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += count * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int headerLength = (int)headerStream.Length;
        int padded = (headerLength + Alignment - 1) / Alignment * Alignment;
        long dataLength = tensors.Sum(t => t.Data.LongLength * sizeof(float));
        var file = new byte[checked(8 + padded + dataLength)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        headerStream.GetBuffer().AsSpan(0, headerLength).CopyTo(file.AsSpan(8));
        file.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        int at = 8 + padded;
        foreach (NamedTensor t in tensors)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(t.Data.AsSpan());
            bytes.CopyTo(file.AsSpan(at));
            at += bytes.Length;
        }

        return file;
    }

    /// <summary>Reads and validates a file; throws <see cref="InvalidDataException"/> naming the file and the fault.</summary>
    public static SafetensorsContent ReadFile(string path, SafetensorsLimits? limits = null)
    {
        limits ??= SafetensorsLimits.Default;
        long length = new FileInfo(path).Length;
        if (length > limits.MaxFileBytes)
        {
            throw new InvalidDataException($"{path}: {length} bytes exceeds the {limits.MaxFileBytes}-byte limit");
        }

        try
        {
            return Read(File.ReadAllBytes(path), limits);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses <paramref name="file"/>; every size, offset and shape is checked before use.</summary>
    public static SafetensorsContent Read(ReadOnlySpan<byte> file, SafetensorsLimits? limits = null)
    {
        limits ??= SafetensorsLimits.Default;
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors reading assumes a little-endian machine");
        }

        if (file.Length < 8)
        {
            throw new InvalidDataException($"truncated: {file.Length} bytes, the 8-byte header length is missing");
        }

        if (file.Length > limits.MaxFileBytes)
        {
            throw new InvalidDataException($"{file.Length} bytes exceeds the {limits.MaxFileBytes}-byte limit");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)limits.MaxHeaderBytes)
        {
            throw new InvalidDataException($"header length {headerLength} exceeds the {limits.MaxHeaderBytes}-byte limit");
        }

        if (headerLength > (ulong)(file.Length - 8))
        {
            throw new InvalidDataException($"truncated: header length {headerLength} but only {file.Length - 8} bytes follow");
        }

        ReadOnlySpan<byte> header = file.Slice(8, (int)headerLength);
        ReadOnlySpan<byte> data = file[(8 + (int)headerLength)..];
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, long[] Shape, long Begin, long End)>();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("header is not a JSON object");
            }

            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata);
                    continue;
                }

                if (entries.Count >= limits.MaxTensors)
                {
                    throw new InvalidDataException($"more than {limits.MaxTensors} tensors");
                }

                entries.Add(ReadEntry(property, limits));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"header is not valid JSON: {e.Message}", e);
        }

        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<NamedTensor>(entries.Count);
        long expected = 0;
        foreach ((string name, long[] shape, long begin, long end) in entries)
        {
            if (!names.Add(name))
            {
                throw new InvalidDataException($"duplicate tensor '{name}'");
            }

            // The format requires the buffer to be tiled exactly: no gaps, no overlaps (safetensors' validate()).
            if (begin != expected || end > data.Length)
            {
                throw new InvalidDataException(end > data.Length
                    ? $"truncated: tensor '{name}' ends at data byte {end} but the data section has {data.Length}"
                    : $"tensor '{name}' starts at data byte {begin}, expected {expected} (gap or overlap)");
            }

            var values = new float[(end - begin) / sizeof(float)];
            MemoryMarshal.Cast<byte, float>(data[(int)begin..(int)end]).CopyTo(values);

            tensors.Add(new NamedTensor(name, shape, values));
            expected = end;
        }

        if (expected != data.Length)
        {
            throw new InvalidDataException($"{data.Length - expected} trailing data bytes belong to no tensor");
        }

        return new SafetensorsContent(metadata, tensors);
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("__metadata__ is not an object");
        }

        foreach (JsonProperty kv in element.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"metadata '{kv.Name}' is not a string");
            }

            metadata[kv.Name] = kv.Value.GetString()!;
        }
    }

    private static (string Name, long[] Shape, long Begin, long End) ReadEntry(JsonProperty property, SafetensorsLimits limits)
    {
        string name = property.Name;
        JsonElement e = property.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out JsonElement dtype)
            || !e.TryGetProperty("shape", out JsonElement shapeElement)
            || !e.TryGetProperty("data_offsets", out JsonElement offsets))
        {
            throw new InvalidDataException($"tensor '{name}' lacks dtype, shape or data_offsets");
        }

        if (dtype.ValueKind != JsonValueKind.String || dtype.GetString() != Float32)
        {
            throw new InvalidDataException($"tensor '{name}' has dtype {dtype}; only F32 is supported");
        }

        if (shapeElement.ValueKind != JsonValueKind.Array || shapeElement.GetArrayLength() > limits.MaxRank)
        {
            throw new InvalidDataException($"tensor '{name}' shape is not an array of at most {limits.MaxRank} dimensions");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long value) || value < 0 || value > limits.MaxFileBytes)
            {
                throw new InvalidDataException($"tensor '{name}' has an invalid dimension {dim}");
            }

            shape[i++] = value;
            count *= value; // each factor ≤ MaxFileBytes and the running product is checked below, so no overflow
            if (count > limits.MaxFileBytes)
            {
                throw new InvalidDataException($"tensor '{name}' shape is larger than the file limit");
            }
        }

        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)
            || begin < 0 || end < begin)
        {
            throw new InvalidDataException($"tensor '{name}' has invalid data_offsets");
        }

        if (end - begin != count * sizeof(float))
        {
            throw new InvalidDataException($"tensor '{name}' spans {end - begin} bytes but shape [{string.Join(',', shape)}] needs {count * sizeof(float)}");
        }

        return (name, shape, begin, end);
    }
}
