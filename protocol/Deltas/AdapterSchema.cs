using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FedMesh.Protocol.Deltas;

/// <summary>One adapter tensor: its canonical name and shape (row-major).</summary>
public sealed record TensorInfo
{
    /// <summary>Longest tensor name accepted (UTF-8 bytes); names are short dotted paths such as "layers.0.attn.q.lora_a".</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Highest rank accepted; LoRA factors are matrices, 4 leaves room for conv-style adapters.</summary>
    public const int MaxRank = 4;

    public TensorInfo(string name, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw new ArgumentException($"tensor name must be 1..{MaxNameBytes} UTF-8 bytes", nameof(name));
        }

        if (shape.Count is 0 or > MaxRank)
        {
            throw new ArgumentException($"tensor '{name}' rank must be 1..{MaxRank}", nameof(shape));
        }

        long count = 1;
        foreach (int dim in shape)
        {
            if (dim <= 0)
            {
                throw new ArgumentException($"tensor '{name}' has a non-positive dimension", nameof(shape));
            }

            count = checked(count * dim);
        }

        Name = name;
        Shape = shape.ToArray();
        ElementCount = count;
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape { get; }

    public long ElementCount { get; }
}

/// <summary>
/// The canonical, ordered list of adapter tensors a mesh exchanges, and its hash (SPEC.md §Adapter schema hash).
/// Two nodes exchange deltas only when their schema hashes are equal. The flat layout of a delta is the
/// concatenation of its tensors in this order.
/// </summary>
public sealed class AdapterSchema
{
    /// <summary>Domain-separation prefix of the schema hash input.</summary>
    private static readonly byte[] HashDomain = Encoding.ASCII.GetBytes("fedmesh-adapter-schema-v1");

    public AdapterSchema(IReadOnlyList<TensorInfo> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("an adapter schema needs at least one tensor", nameof(tensors));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (TensorInfo t in tensors)
        {
            if (!names.Add(t.Name))
            {
                throw new ArgumentException($"duplicate tensor name '{t.Name}'", nameof(tensors));
            }

            total = checked(total + t.ElementCount);
        }

        Tensors = tensors.ToArray();
        TotalElements = total;
        Hash = ComputeHash(Tensors);
    }

    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Sum of all tensors' element counts: the length d of a flat delta.</summary>
    public long TotalElements { get; }

    /// <summary>SHA-256 of the canonical encoding (32 bytes).</summary>
    public byte[] Hash { get; }

    public string HashHex => Convert.ToHexStringLower(Hash);

    /// <summary>
    /// Canonical input: "fedmesh-adapter-schema-v1", u32 BE tensor count, then per tensor:
    /// u16 BE name length, UTF-8 name, u8 rank, rank × u32 BE dimensions.
    /// </summary>
    public static byte[] ComputeHash(IReadOnlyList<TensorInfo> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var buffer = new MemoryStream();
        buffer.Write(HashDomain);
        Span<byte> scratch = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(scratch, (uint)tensors.Count);
        buffer.Write(scratch);
        foreach (TensorInfo t in tensors)
        {
            byte[] name = Encoding.UTF8.GetBytes(t.Name);
            BinaryPrimitives.WriteUInt16BigEndian(scratch, (ushort)name.Length);
            buffer.Write(scratch[..2]);
            buffer.Write(name);
            buffer.WriteByte((byte)t.Shape.Count);
            foreach (int dim in t.Shape)
            {
                BinaryPrimitives.WriteUInt32BigEndian(scratch, (uint)dim);
                buffer.Write(scratch);
            }
        }

        return SHA256.HashData(buffer.ToArray());
    }
}
