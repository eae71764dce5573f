using System.Numerics.Tensors;
using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Turns a verified payload back into floats (SPEC.md §5.4), checking it against its manifest: exact total
/// length (for sparse tensors, the sum of what their bitmaps say), bitmap padding bits clear, int8 values (also
/// those of sparse and block int8) within ±127, and every decoded value finite. Violations are
/// <see cref="ProtocolException"/>(<see cref="ProtocolErrorCode.MalformedMessage"/>) naming the tensor.
/// </summary>
public static class DeltaDecoder
{
    /// <summary>Decodes into a new flat array (tensors concatenated in manifest order).</summary>
    public static float[] DecodeFlat(DeltaManifest manifest, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long elements = manifest.Tensors.Sum(t => t.Info.ElementCount);
        float[] flat = new float[elements];
        DecodeFlat(manifest, payload, flat);
        return flat;
    }

    /// <summary>Decodes into <paramref name="destination"/>, which must hold exactly the manifest's elements.</summary>
    public static void DecodeFlat(DeltaManifest manifest, ReadOnlySpan<byte> payload, Span<float> destination) =>
        DecodeFlat(manifest, payload, destination, carried: default);

    /// <summary>
    /// Decodes into a new flat array and reports which elements the delta carried: <paramref name="carried"/> is null
    /// when every tensor is dense (all carried), else one flag per element (false = absent from a sparse tensor, decoded
    /// as 0; SPEC §10: the receiver uses its own value there).
    /// </summary>
    public static float[] DecodeFlat(DeltaManifest manifest, ReadOnlySpan<byte> payload, out bool[]? carried)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long elements = manifest.Tensors.Sum(t => t.Info.ElementCount);
        float[] flat = new float[elements];
        carried = manifest.Tensors.Any(t => t.Encoding.IsSparse()) ? new bool[elements] : null;
        DecodeFlat(manifest, payload, flat, carried);
        return flat;
    }

    /// <summary>
    /// Decodes against the receiver's own state <paramref name="side"/> (flat, schema order), which modulo int8 tensors
    /// (SPEC §5.4 code 5) are resolved against; other tensors ignore it. A modulo int8 tensor whose check fails here
    /// (the sender's values were too far from this node's) is <see cref="ProtocolException"/>
    /// (<see cref="ProtocolErrorCode.MalformedMessage"/>) like any undecodable payload.
    /// </summary>
    public static float[] DecodeFlatAgainst(DeltaManifest manifest, ReadOnlySpan<byte> payload, ReadOnlySpan<float> side)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long elements = manifest.Tensors.Sum(t => t.Info.ElementCount);
        if (side.Length != elements)
        {
            throw new ArgumentException($"side information holds {side.Length} floats, delta has {elements}", nameof(side));
        }

        float[] flat = new float[elements];
        DecodeFlat(manifest, payload, flat, carried: default, side);
        return flat;
    }

    /// <summary>Whether any tensor of the manifest needs the receiver's own state to decode (modulo int8).</summary>
    public static bool NeedsSideInformation(DeltaManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Tensors.Any(t => t.Encoding.NeedsSideInformation());
    }

    /// <summary>Whether any tensor of the manifest is sparse (its delta may leave elements out).</summary>
    public static bool IsSparse(DeltaManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Tensors.Any(t => t.Encoding.IsSparse());
    }

    private static void DecodeFlat(DeltaManifest manifest, ReadOnlySpan<byte> payload, Span<float> destination, Span<bool> carried, ReadOnlySpan<float> side = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (payload.Length != manifest.TotalSize)
        {
            throw Malformed($"payload is {payload.Length} bytes, manifest says {manifest.TotalSize}");
        }

        long elements = manifest.Tensors.Sum(t => t.Info.ElementCount);
        if (destination.Length != elements)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, delta has {elements}", nameof(destination));
        }

        int byteOffset = 0;
        int elementOffset = 0;
        foreach (ManifestTensor t in manifest.Tensors)
        {
            int n = (int)t.Info.ElementCount;
            Span<float> values = destination.Slice(elementOffset, n);
            if (t.Encoding.IsSparse())
            {
                // The bitmap says how long the tensor is; it is bounded by what is left of the payload.
                Span<bool> flags = carried.IsEmpty ? default : carried.Slice(elementOffset, n);
                byteOffset += SparseCodec.Decode(payload[byteOffset..], t.Scale, values, flags, out string? problem)
                    ?? throw Malformed($"sparse tensor '{t.Info.Name}': {problem}");
            }
            else
            {
                int length = (int)t.ByteLength;
                if (payload.Length - byteOffset < length)
                {
                    throw Malformed($"tensor '{t.Info.Name}' needs {length} bytes, {payload.Length - byteOffset} are left");
                }

                ReadOnlySpan<byte> source = payload.Slice(byteOffset, length);
                if (t.Encoding.NeedsSideInformation())
                {
                    if (side.IsEmpty)
                    {
                        throw new ArgumentException($"tensor '{t.Info.Name}' is modulo int8: decoding needs this node's own state", nameof(side));
                    }

                    if (ModuloCodec.Decode(source, t.Scale, side.Slice(elementOffset, n), values) is { } problem)
                    {
                        throw Malformed($"modulo int8 tensor '{t.Info.Name}': {problem}");
                    }
                }
                else
                {
                    DecodeDense(t, source, values);
                }

                if (!carried.IsEmpty)
                {
                    carried.Slice(elementOffset, n).Fill(true);
                }

                byteOffset += length;
            }

            if (!TensorPrimitives.IsFiniteAll(values))
            {
                throw Malformed($"tensor '{t.Info.Name}' contains NaN or infinity");
            }

            elementOffset += n;
        }

        if (byteOffset != payload.Length)
        {
            throw Malformed($"tensors take {byteOffset} bytes, the payload has {payload.Length}");
        }
    }

    private static void DecodeDense(ManifestTensor t, ReadOnlySpan<byte> source, Span<float> values)
    {
        // Block int8's exponent bytes may take any value (every one names a finite scale ≤ the tensor's); only its
        // values, like int8's, must stay within ±127.
        ReadOnlySpan<byte> quantized = t.Encoding switch
        {
            TensorEncoding.Int8 => source,
            TensorEncoding.BlockInt8 => BlockCodec.Values(source, (int)t.Info.ElementCount),
            _ => default,
        };
        if (quantized.Contains(unchecked((byte)sbyte.MinValue)))
        {
            throw Malformed($"tensor '{t.Info.Name}' holds int8 value -128 (symmetric encoding uses -127..127)");
        }

        TensorCodec.Decode(source, t.Encoding, t.Scale, values);
    }

    /// <summary>Decodes into one array per tensor name.</summary>
    public static Dictionary<string, float[]> Decode(DeltaManifest manifest, ReadOnlySpan<byte> payload)
    {
        float[] flat = DecodeFlat(manifest, payload);
        var result = new Dictionary<string, float[]>(manifest.Tensors.Count, StringComparer.Ordinal);
        int offset = 0;
        foreach (ManifestTensor t in manifest.Tensors)
        {
            int n = (int)t.Info.ElementCount;
            result.Add(t.Info.Name, flat.AsSpan(offset, n).ToArray());
            offset += n;
        }

        return result;
    }

    private static ProtocolException Malformed(string reason) => new(ProtocolErrorCode.MalformedMessage, $"delta payload: {reason}");
}
