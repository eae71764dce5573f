using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>
/// The weights of a model folder: <c>model.safetensors</c>, or the shards that <c>model.safetensors.index.json</c>
/// names. Every header is read and every required tensor checked (present, float dtype, expected shape) before one
/// weight is loaded; then weights are copied one at a time from memory-mapped files into float32 tensors, so the
/// process never holds the checkpoint twice (the mapping is page cache, not heap). The base hash is computed over
/// the same bytes in the same pass (SPEC.md §4.2.2).
/// </summary>
internal static class CheckpointFiles
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Domain separation of the base hash (SPEC.md §4.2.2).</summary>
    public const string HashDomain = "fedmesh-hf-base-v1\n";

    /// <summary>Every entry of every file of the checkpoint, by tensor name (headers only, nothing loaded).</summary>
    public static IReadOnlyDictionary<string, SafetensorsEntry> Entries(string directory, HfLoadLimits limits)
    {
        string single = Path.Combine(directory, SingleFile);
        string index = Path.Combine(directory, IndexFile);
        IReadOnlyList<string> files = File.Exists(single) ? [single]
            : File.Exists(index) ? Shards(index, limits)
            : throw new FileNotFoundException($"{directory}: neither {SingleFile} nor {IndexFile} is there", single);
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            foreach (SafetensorsEntry e in SafetensorsHeader.Read(file, limits))
            {
                if (!entries.TryAdd(e.Name, e))
                {
                    throw new InvalidDataException($"{file}: tensor '{e.Name}' is also in {entries[e.Name].File}");
                }
            }
        }

        return entries;
    }

    /// <summary>The shard files of an index (distinct, inside the folder, existing).</summary>
    private static List<string> Shards(string indexPath, HfLoadLimits limits)
    {
        long length = new FileInfo(indexPath).Length;
        if (length > limits.MaxIndexBytes)
        {
            throw new InvalidDataException($"{indexPath}: {length} bytes, over the {limits.MaxIndexBytes}-byte bound");
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shards = new List<string>();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(indexPath), new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{indexPath}: key 'weight_map' is missing or not an object");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in map.EnumerateObject())
            {
                string file = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : string.Empty;
                // A shard is a plain file name next to the index: no path separators, no "..".
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                {
                    throw new InvalidDataException($"{indexPath}: weight_map['{p.Name}'] is not a file name in the folder");
                }

                if (seen.Add(file))
                {
                    if (seen.Count > limits.MaxShards)
                    {
                        throw new InvalidDataException($"{indexPath}: more than {limits.MaxShards} shards");
                    }

                    string full = Path.Combine(directory, file);
                    shards.Add(File.Exists(full) ? full : throw new FileNotFoundException($"{indexPath}: shard {file} (of tensor '{p.Name}') is missing", full));
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: not valid JSON: {e.Message}", e);
        }

        return shards;
    }

    /// <summary>
    /// Resolves every required tensor to its entry (checkpoint name may lack GPT-2's "transformer." prefix) and checks
    /// dtype and shape. Throws naming the file and the tensor; loads nothing.
    /// </summary>
    public static IReadOnlyList<(string Canonical, SafetensorsEntry Entry)> Resolve(
        string directory, IReadOnlyDictionary<string, SafetensorsEntry> entries, IReadOnlyList<(string Name, long[] Shape)> required)
    {
        var resolved = new List<(string, SafetensorsEntry)>(required.Count);
        foreach ((string name, long[] shape) in required)
        {
            string? stored = HfLayout.Find(name, entries.ContainsKey)
                ?? throw new InvalidDataException($"{directory}: tensor '{name}' is missing from the checkpoint");
            SafetensorsEntry e = entries[stored];
            if (e.Dtype is not ("F32" or "F16" or "BF16"))
            {
                throw new InvalidDataException($"{e.File}: tensor '{stored}' has dtype {e.Dtype}; weights must be F32, F16 or BF16");
            }

            if (!e.Shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"{e.File}: tensor '{stored}' has shape [{string.Join(',', e.Shape)}], the config needs [{string.Join(',', shape)}]");
            }

            resolved.Add((name, e));
        }

        return resolved;
    }

    /// <summary>
    /// Loads the resolved tensors as float32 (one at a time, in name order) and hashes them. On any failure every tensor
    /// loaded so far is disposed: the caller gets all weights or none.
    /// </summary>
    public static (Dictionary<string, Tensor> Weights, byte[] Hash) Load(IReadOnlyList<(string Canonical, SafetensorsEntry Entry)> resolved)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is not");
        }

        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var files = new Dictionary<string, MemoryMappedFile>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(HashDomain));
        try
        {
            foreach ((string canonical, SafetensorsEntry e) in resolved.OrderBy(r => r.Entry.Name, StringComparer.Ordinal))
            {
                if (!files.TryGetValue(e.File, out MemoryMappedFile? file))
                {
                    file = MemoryMappedFile.CreateFromFile(e.File, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                    files[e.File] = file;
                }

                // One view per tensor, unmapped right after the copy: the mapped file pages count towards the
                // process's resident set while mapped, so peak memory stays ≈ the float32 weights + one tensor.
                // (A zero-length view would map to the end of the file; required weights are never empty, checked anyway.)
                using MemoryMappedViewAccessor view = file.CreateViewAccessor(e.DataStart, Math.Max(1, e.ByteLength), MemoryMappedFileAccess.Read);
                weights[canonical] = Copy(view, e, hash);
            }

            return (weights, hash.GetHashAndReset());
        }
        catch
        {
            foreach (Tensor t in weights.Values)
            {
                t.Dispose();
            }

            throw;
        }
        finally
        {
            foreach (MemoryMappedFile file in files.Values)
            {
                file.Dispose();
            }
        }
    }

    /// <summary>The per-tensor record of the base hash: name, dtype, shape, byte length (SPEC.md §4.2.2).</summary>
    public static byte[] HashRecord(string name, string dtype, IReadOnlyList<long> shape, long byteLength) =>
        Encoding.UTF8.GetBytes($"{name}\n{dtype}\n{string.Join(',', shape)}\n{byteLength}\n");

    private static unsafe Tensor Copy(MemoryMappedViewAccessor view, SafetensorsEntry e, IncrementalHash hash)
    {
        hash.AppendData(HashRecord(e.Name, e.Dtype, e.Shape, e.ByteLength));
        Tensor t = empty(e.Shape, ScalarType.Float32);
        try
        {
            byte* basePointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            try
            {
                byte* source = basePointer + view.PointerOffset;
                Span<float> target = MemoryMarshal.Cast<byte, float>(t.bytes);
                // Chunks keep each span under 2 GiB and let the hash and the conversion share a cache-warm block.
                const int ChunkElements = 1 << 20;
                long count = e.ElementCount;
                int width = e.Dtype == "F32" ? 4 : 2;
                for (long at = 0; at < count; at += ChunkElements)
                {
                    int n = (int)Math.Min(ChunkElements, count - at);
                    var raw = new ReadOnlySpan<byte>(source + (at * width), n * width);
                    hash.AppendData(raw);
                    Span<float> into = target.Slice((int)at, n);
                    switch (e.Dtype)
                    {
                        case "F32":
                            MemoryMarshal.Cast<byte, float>(raw).CopyTo(into);
                            break;
                        case "F16":
                            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), into);
                            break;
                        default:
                            Bf16ToSingle(MemoryMarshal.Cast<byte, ushort>(raw), into);
                            break;
                    }
                }
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>bfloat16 is the upper half of a float32: widening is exact (shift the 16 bits up).</summary>
    internal static void Bf16ToSingle(ReadOnlySpan<ushort> source, Span<float> target)
    {
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(target);
        for (int i = 0; i < source.Length; i++)
        {
            bits[i] = (uint)source[i] << 16;
        }
    }
}
