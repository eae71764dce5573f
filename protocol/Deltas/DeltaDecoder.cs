using System.Numerics.Tensors;
using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Deltas;

/// <summary>
/// Turns a verified payload back into floats (SPEC.md §5.4), checking it against its manifest: exact total
/// length, int8 values within ±127, and every decoded value finite. Violations are
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
    public static void DecodeFlat(DeltaManifest manifest, ReadOnlySpan<byte> payload, Span<float> destination)
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
            int length = (int)t.ByteLength;
            ReadOnlySpan<byte> source = payload.Slice(byteOffset, length);
            if (t.Encoding == TensorEncoding.Int8 && source.Contains(unchecked((byte)sbyte.MinValue)))
            {
                throw Malformed($"tensor '{t.Info.Name}' holds int8 value -128 (symmetric encoding uses -127..127)");
            }

            Span<float> values = destination.Slice(elementOffset, n);
            TensorCodec.Decode(source, t.Encoding, t.Scale, values);
            if (!TensorPrimitives.IsFiniteAll(values))
            {
                throw Malformed($"tensor '{t.Info.Name}' contains NaN or infinity");
            }

            byteOffset += length;
            elementOffset += n;
        }
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
