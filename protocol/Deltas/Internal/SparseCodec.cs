using System.Numerics;
using System.Runtime.InteropServices;

namespace FedMesh.Protocol.Deltas.Internal;

/// <summary>
/// The sparse int8 encoding of SPEC.md §5.4 (code 3) as pure functions over spans: a presence bitmap of ⌈n/8⌉ bytes
/// (bit i, least significant bit first within byte i / 8, set = element i carried; the padding bits of the last byte
/// are 0) followed by the carried elements in index order as symmetric int8 with the manifest's scale.
/// A bitmap rather than an index list: at the densities worth sending (≥ 1/32) it is smaller than 4-byte indices, and
/// it cannot be out of range, unsorted or duplicated, so the only checks are the padding bits and the length.
/// </summary>
internal static class SparseCodec
{
    /// <summary>Payload bytes of a tensor of <paramref name="carried"/>.Length elements, of which those set are sent.</summary>
    public static int Length(ReadOnlySpan<bool> carried) => (int)TensorEncodings.BitmapBytes(carried.Length) + carried.Count(true);

    /// <summary>The int8 scale over the carried elements only: max |x_i| over carried i, / 127 (0 when none is).</summary>
    public static float Scale(ReadOnlySpan<float> values, ReadOnlySpan<bool> carried)
    {
        float max = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (carried[i])
            {
                max = MathF.Max(max, MathF.Abs(values[i]));
            }
        }

        return max / TensorCodec.Int8Max;
    }

    /// <summary>Writes the bitmap and the carried elements' int8 values; <paramref name="destination"/> is exactly
    /// <see cref="Length"/> bytes.</summary>
    public static void Encode(ReadOnlySpan<float> values, ReadOnlySpan<bool> carried, float scale, Span<byte> destination)
    {
        int bitmap = (int)TensorEncodings.BitmapBytes(values.Length);
        destination[..bitmap].Clear();
        float[] kept = new float[destination.Length - bitmap];
        int k = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (carried[i])
            {
                destination[i >> 3] |= (byte)(1 << (i & 7));
                kept[k++] = values[i];
            }
        }

        TensorCodec.Encode(kept, TensorEncoding.Int8, scale, destination[bitmap..]);
    }

    /// <summary>
    /// Reads one sparse tensor of <paramref name="destination"/>.Length elements from the start of
    /// <paramref name="source"/> (the rest of the payload) and returns the bytes it took, or null with
    /// <paramref name="problem"/> set when the bytes are malformed: padding bits set, fewer bytes left than the bitmap
    /// says, or an int8 value of −128. Elements not carried are written as 0 and marked false in
    /// <paramref name="carried"/> (when it is not empty).
    /// </summary>
    public static int? Decode(ReadOnlySpan<byte> source, float scale, Span<float> destination, Span<bool> carried, out string? problem)
    {
        int n = destination.Length;
        int bitmapBytes = (int)TensorEncodings.BitmapBytes(n);
        if (source.Length < bitmapBytes)
        {
            problem = $"{source.Length} bytes left, the presence bitmap needs {bitmapBytes}";
            return null;
        }

        ReadOnlySpan<byte> bitmap = source[..bitmapBytes];
        int padding = (bitmapBytes * 8) - n;
        if (padding > 0 && (bitmap[^1] >> (8 - padding)) != 0)
        {
            problem = "presence bitmap has padding bits set";
            return null;
        }

        int k = 0;
        foreach (byte b in bitmap)
        {
            k += BitOperations.PopCount(b);
        }

        if (source.Length - bitmapBytes < k)
        {
            problem = $"bitmap marks {k} elements, only {source.Length - bitmapBytes} bytes left";
            return null;
        }

        ReadOnlySpan<sbyte> q = MemoryMarshal.Cast<byte, sbyte>(source.Slice(bitmapBytes, k));
        if (q.Contains(sbyte.MinValue))
        {
            problem = "holds int8 value -128 (symmetric encoding uses -127..127)";
            return null;
        }

        destination.Clear();
        if (!carried.IsEmpty)
        {
            carried.Clear();
        }

        int j = 0;
        for (int i = 0; i < n; i++)
        {
            if ((bitmap[i >> 3] & (1 << (i & 7))) != 0)
            {
                // The binary32 product q × scale, as dense int8 decodes (§5.4: bit-exact across implementations).
                destination[i] = q[j++] * scale;
                if (!carried.IsEmpty)
                {
                    carried[i] = true;
                }
            }
        }

        problem = null;
        return bitmapBytes + k;
    }
}
