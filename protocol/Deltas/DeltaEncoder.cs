using System.Numerics.Tensors;
using FedMesh.Protocol.Deltas.Internal;
using FedMesh.Protocol.IO.Internal;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Turns float tensors into a delta payload (SPEC.md §5.4): the schema's tensors in order, each as raw
/// little-endian elements of its encoding. Input errors (missing tensor, wrong length, non-finite values, fp16
/// overflow) are local bugs and throw <see cref="ArgumentException"/> naming the tensor.
/// </summary>
public static class DeltaEncoder
{
    /// <summary>Encodes named tensors, all with <paramref name="encoding"/>.</summary>
    public static EncodedDelta Encode(AdapterSchema schema, IReadOnlyDictionary<string, float[]> tensors, TensorEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count != schema.Tensors.Count)
        {
            throw new ArgumentException($"schema has {schema.Tensors.Count} tensors, got {tensors.Count}", nameof(tensors));
        }

        var ordered = new ReadOnlyMemory<float>[schema.Tensors.Count];
        for (int i = 0; i < ordered.Length; i++)
        {
            string name = schema.Tensors[i].Name;
            ordered[i] = tensors.TryGetValue(name, out float[]? values)
                ? values
                : throw new ArgumentException($"tensor '{name}' of the schema is missing", nameof(tensors));
        }

        return Encode(schema, ordered, Uniform(schema, encoding));
    }

    /// <summary>Encodes a flat delta (tensors concatenated in schema order, SPEC §1.2), all with <paramref name="encoding"/>.</summary>
    public static EncodedDelta EncodeFlat(AdapterSchema schema, ReadOnlyMemory<float> flat, TensorEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (flat.Length != schema.TotalElements)
        {
            throw new ArgumentException($"flat delta has {flat.Length} elements, schema needs {schema.TotalElements}", nameof(flat));
        }

        return Encode(schema, Split(schema, flat), Uniform(schema, encoding));
    }

    /// <summary>
    /// Encodes a flat state sparsely (SPEC §5.4, sparse int8): every tensor carries only the elements whose
    /// <paramref name="carried"/> flag is set (flat, in schema order like <paramref name="flat"/>), as int8 with a
    /// scale over the carried elements.
    /// </summary>
    public static EncodedDelta EncodeFlatSparse(AdapterSchema schema, ReadOnlyMemory<float> flat, ReadOnlySpan<bool> carried)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (flat.Length != schema.TotalElements || carried.Length != schema.TotalElements)
        {
            throw new ArgumentException($"flat delta has {flat.Length} elements and {carried.Length} presence flags, schema needs {schema.TotalElements}", nameof(flat));
        }

        var manifest = new ManifestTensor[schema.Tensors.Count];
        var lengths = new int[manifest.Length];
        long total = 0;
        int offset = 0;
        for (int i = 0; i < manifest.Length; i++)
        {
            TensorInfo info = schema.Tensors[i];
            int n = (int)info.ElementCount;
            ReadOnlySpan<float> values = flat.Span.Slice(offset, n);
            RequireEncodable(info.Name, values, TensorEncoding.SparseInt8);
            manifest[i] = new ManifestTensor(info, TensorEncoding.SparseInt8, SparseCodec.Scale(values, carried.Slice(offset, n)));
            lengths[i] = SparseCodec.Length(carried.Slice(offset, n));
            total += lengths[i];
            offset += n;
        }

        byte[] payload = new byte[total];
        int at = 0;
        offset = 0;
        for (int i = 0; i < manifest.Length; i++)
        {
            int n = (int)manifest[i].Info.ElementCount;
            SparseCodec.Encode(flat.Span.Slice(offset, n), carried.Slice(offset, n), manifest[i].Scale, payload.AsSpan(at, lengths[i]));
            at += lengths[i];
            offset += n;
        }

        return new EncodedDelta(payload, manifest);
    }

    /// <summary>
    /// Encodes a flat state as modulo int8 (SPEC §5.4 code 5) with the sender's step per tensor (<paramref name="steps"/>,
    /// schema order): each must be a finite binary32 ≥ 2^−126 and at least the tensor's max|x| / 2^22.
    /// </summary>
    public static EncodedDelta EncodeFlatModulo(AdapterSchema schema, ReadOnlyMemory<float> flat, IReadOnlyList<float> steps)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return EncodeFlatMixed(schema, flat, Uniform(schema, TensorEncoding.ModuloInt8), steps);
    }

    /// <summary>
    /// Encodes a flat state with one dense encoding per tensor (<paramref name="encodings"/>, schema order), e.g. modulo
    /// int8 where its step is finer than int8's and int8 elsewhere; <paramref name="steps"/> holds each modulo int8
    /// tensor's step (as <see cref="EncodeFlatModulo"/>; entries of other tensors are ignored).
    /// </summary>
    public static EncodedDelta EncodeFlatMixed(AdapterSchema schema, ReadOnlyMemory<float> flat, IReadOnlyList<TensorEncoding> encodings, IReadOnlyList<float> steps)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentNullException.ThrowIfNull(steps);
        if (flat.Length != schema.TotalElements || steps.Count != schema.Tensors.Count)
        {
            throw new ArgumentException($"flat state has {flat.Length} elements and {steps.Count} steps, schema needs {schema.TotalElements} and {schema.Tensors.Count}", nameof(flat));
        }

        return Encode(schema, Split(schema, flat), encodings, steps);
    }

    /// <summary>Encodes tensors given in schema order, each with its own (dense) encoding.</summary>
    public static EncodedDelta Encode(AdapterSchema schema, IReadOnlyList<ReadOnlyMemory<float>> tensorsInOrder, IReadOnlyList<TensorEncoding> encodings) =>
        Encode(schema, tensorsInOrder, encodings, steps: null);

    private static EncodedDelta Encode(AdapterSchema schema, IReadOnlyList<ReadOnlyMemory<float>> tensorsInOrder, IReadOnlyList<TensorEncoding> encodings, IReadOnlyList<float>? steps)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(tensorsInOrder);
        ArgumentNullException.ThrowIfNull(encodings);
        if (tensorsInOrder.Count != schema.Tensors.Count || encodings.Count != schema.Tensors.Count)
        {
            throw new ArgumentException($"schema has {schema.Tensors.Count} tensors; got {tensorsInOrder.Count} tensors and {encodings.Count} encodings");
        }

        var manifest = new ManifestTensor[schema.Tensors.Count];
        long total = 0;
        for (int i = 0; i < manifest.Length; i++)
        {
            TensorInfo info = schema.Tensors[i];
            ReadOnlySpan<float> values = tensorsInOrder[i].Span;
            if (values.Length != info.ElementCount)
            {
                throw new ArgumentException($"tensor '{info.Name}' has {values.Length} elements, schema says {info.ElementCount}", nameof(tensorsInOrder));
            }

            RequireEncodable(info.Name, values, encodings[i]);
            if (encodings[i].IsSparse())
            {
                throw new ArgumentException($"tensor '{info.Name}': sparse int8 needs the presence flags (EncodeFlatSparse)", nameof(encodings));
            }

            float scale = encodings[i] switch
            {
                TensorEncoding.Int8 or TensorEncoding.BlockInt8 => TensorCodec.Int8Scale(values),
                TensorEncoding.ModuloInt8 => steps?[i] ?? throw new ArgumentException($"tensor '{info.Name}': modulo int8 needs the sender's step (EncodeFlatModulo)", nameof(encodings)),
                _ => 0f,
            };
            manifest[i] = new ManifestTensor(info, encodings[i], scale);
            total += manifest[i].ByteLength;
        }

        if (total > (long)DeltaLimits.MaxTotalSize)
        {
            throw new ArgumentException($"encoded delta is {total} bytes, above the {DeltaLimits.MaxTotalSize}-byte cap");
        }

        // Uninitialised and huge-page advised (PayloadBuffer): the codecs below write every byte, and for a large delta
        // the first touch of fresh memory in 4 KiB pages costs more CPU than the encoding itself.
        byte[] payload = PayloadBuffer.AllocateUninitialized((int)total);
        long offset = 0;
        for (int i = 0; i < manifest.Length; i++)
        {
            int length = (int)manifest[i].ByteLength;
            TensorCodec.Encode(tensorsInOrder[i].Span, manifest[i].Encoding, manifest[i].Scale, payload.AsSpan((int)offset, length));
            offset += length;
        }

        return new EncodedDelta(payload, manifest);
    }

    /// <summary>A flat state's tensors in schema order (slices of <paramref name="flat"/>, whose length the caller checked).</summary>
    private static ReadOnlyMemory<float>[] Split(AdapterSchema schema, ReadOnlyMemory<float> flat)
    {
        var ordered = new ReadOnlyMemory<float>[schema.Tensors.Count];
        int offset = 0;
        for (int i = 0; i < ordered.Length; i++)
        {
            int n = (int)schema.Tensors[i].ElementCount;
            ordered[i] = flat.Slice(offset, n);
            offset += n;
        }

        return ordered;
    }

    private static TensorEncoding[] Uniform(AdapterSchema schema, TensorEncoding encoding)
    {
        if (encoding.IsSparse())
        {
            throw new ArgumentException("sparse int8 needs the presence flags: use EncodeFlatSparse", nameof(encoding));
        }

        if (!TensorEncodings.IsDefined(encoding))
        {
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding");
        }

        return Enumerable.Repeat(encoding, schema.Tensors.Count).ToArray();
    }

    private static void RequireEncodable(string name, ReadOnlySpan<float> values, TensorEncoding encoding)
    {
        if (!TensorEncodings.IsDefined(encoding))
        {
            throw new ArgumentException($"tensor '{name}': unknown encoding {(byte)encoding}");
        }

        if (!TensorPrimitives.IsFiniteAll(values))
        {
            throw new ArgumentException($"tensor '{name}' contains NaN or infinity");
        }

        if (encoding == TensorEncoding.Float16 && values.Length > 0 && MathF.Abs(TensorPrimitives.MaxMagnitude(values)) > TensorCodec.MaxFloat16)
        {
            throw new ArgumentException($"tensor '{name}' has a value beyond ±{TensorCodec.MaxFloat16}, which fp16 cannot hold");
        }
    }
}
