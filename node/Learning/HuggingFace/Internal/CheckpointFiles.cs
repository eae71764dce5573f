using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FedMesh.Node.Learning.Internal;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace FedMesh.Node.Learning.HuggingFace.Internal;

/// <summary>
/// The weights of a model folder: <c>model.safetensors</c>, or the shards that <c>model.safetensors.index.json</c>
/// names. Every header is read and every required tensor checked (present, float dtype, expected shape) before one
/// weight is loaded; then weights are read one at a time straight into float32 tensors (F16/BF16 through one 4 MiB
/// buffer), so the process never holds the checkpoint twice. The base hash is computed over the same bytes in the
/// same pass (SPEC.md §4.2.2).
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
        var files = new Dictionary<string, SafeFileHandle>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(HashDomain));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            foreach ((string canonical, SafetensorsEntry e) in resolved.OrderBy(r => r.Entry.Name, StringComparer.Ordinal))
            {
                if (!files.TryGetValue(e.File, out SafeFileHandle? file))
                {
                    file = File.OpenHandle(e.File, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
                    files[e.File] = file;
                }

                hash.AppendData(HashRecord(e.Name, e.Dtype, e.Shape, e.ByteLength));
                weights[canonical] = Read(file, e, hash, buffer);
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
            ArrayPool<byte>.Shared.Return(buffer);
            foreach (SafeFileHandle file in files.Values)
            {
                file.Dispose();
            }
        }
    }

    /// <summary>
    /// Bytes read per call: 4 MiB keeps the block the hash reads (and a 16-bit block's widening) in the L2/L3 cache
    /// right after the read wrote it, and is few enough calls (≈150 for 600 MB) that syscall cost is nil.
    /// </summary>
    internal const int ChunkBytes = 4 << 20;

    /// <summary>
    /// One tensor, read with pread(2) straight into the float32 tensor's own storage (F32: no intermediate copy, no
    /// per-element work) or through one 4 MiB buffer widened block by block (F16, BF16). pread copies from the page
    /// cache inside the kernel: unlike a memory mapping, it takes no page fault per 4 KiB of the file, and a file cut
    /// short under us is an error here, not a SIGBUS. The target's pages are advised as transparent huge pages first,
    /// so filling 600 MB takes ≈300 page faults instead of ≈150 000 (each one a costly trap on a virtual machine).
    /// </summary>
    internal static unsafe Tensor Read(SafeFileHandle file, SafetensorsEntry e, IncrementalHash hash, byte[] buffer)
    {
        Tensor t = empty(e.Shape, ScalarType.Float32);
        try
        {
            long count = e.ElementCount;
            if (count == 0)
            {
                return t;
            }

            float* target = DataPointer(t);
            LinuxMemory.Advise((byte*)target, count * sizeof(float));
            int width = e.Dtype == "F32" ? 4 : 2;
            int chunkElements = ChunkBytes / 4;
            for (long at = 0; at < count; at += chunkElements)
            {
                int n = (int)Math.Min(chunkElements, count - at);
                long offset = e.DataStart + (at * width);
                if (width == 4)
                {
                    var into = new Span<byte>(target + at, n * 4);
                    ReadExactly(file, into, offset, e);
                    hash.AppendData(into);
                    continue;
                }

                Span<byte> raw = buffer.AsSpan(0, n * 2);
                ReadExactly(file, raw, offset, e);
                hash.AppendData(raw);
                var widened = new Span<float>(target + at, n);
                if (e.Dtype == "F16")
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), widened);
                }
                else
                {
                    Bf16ToSingle(MemoryMarshal.Cast<byte, ushort>(raw), widened);
                }
            }

            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>The first element of a contiguous float32 tensor (a one-element view: no 2 GiB span limit).</summary>
    private static unsafe float* DataPointer(Tensor t)
    {
        using Tensor first = t.view(-1).narrow(0, 0, 1);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> into, long offset, SafetensorsEntry e)
    {
        while (!into.IsEmpty)
        {
            int read = RandomAccess.Read(file, into, offset);
            if (read == 0)
            {
                // The header check saw the whole file; it has shrunk since (a download or copy still running).
                throw new InvalidDataException($"{e.File}: truncated while loading: tensor '{e.Name}' ends at byte {e.DataStart + e.ByteLength}, the file ends at {offset}");
            }

            into = into[read..];
            offset += read;
        }
    }

    /// <summary>The per-tensor record of the base hash: name, dtype, shape, byte length (SPEC.md §4.2.2).</summary>
    public static byte[] HashRecord(string name, string dtype, IReadOnlyList<long> shape, long byteLength) =>
        Encoding.UTF8.GetBytes($"{name}\n{dtype}\n{string.Join(',', shape)}\n{byteLength}\n");

    /// <summary>
    /// bfloat16 is the upper half of a float32: widening is exact (zero-extend to 32 bits, shift up 16), done a vector
    /// at a time (Vector.Widen splits one vector of 16-bit lanes into two of 32-bit lanes, in order).
    /// </summary>
    internal static void Bf16ToSingle(ReadOnlySpan<ushort> source, Span<float> target)
    {
        if (target.Length < source.Length)
        {
            throw new ArgumentException("target is shorter than source", nameof(target));
        }

        Span<uint> bits = MemoryMarshal.Cast<float, uint>(target);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<ushort>> blocks = MemoryMarshal.Cast<ushort, Vector<ushort>>(source);
            Span<Vector<uint>> into = MemoryMarshal.Cast<uint, Vector<uint>>(bits[..(blocks.Length * Vector<ushort>.Count)]);
            for (int b = 0; b < blocks.Length; b++)
            {
                Vector.Widen(blocks[b], out Vector<uint> low, out Vector<uint> high);
                into[2 * b] = Vector.ShiftLeft(low, 16);
                into[(2 * b) + 1] = Vector.ShiftLeft(high, 16);
            }

            i = blocks.Length * Vector<ushort>.Count;
        }

        for (; i < source.Length; i++)
        {
            bits[i] = (uint)source[i] << 16;
        }
    }
}
