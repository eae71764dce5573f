using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace FedMesh.Protocol.Deltas.Internal;

/// <summary>
/// Block int8 (SPEC.md §5.4, code 4): a tensor of n elements is ⌈n/8⌉ exponent bytes e_b, then n int8 values q;
/// block b's scale is s_b = (S × M[e_b mod 16]) × 2^−⌊e_b/16⌋, with S the manifest's per-tensor scale (max|x| / 127,
/// as int8) and M[k] the binary32 nearest 2^(−k/16). Decoded value = q × s_b. The scale is relative to the fp32 tensor
/// scale, so one byte spans 16 octaves below the tensor's largest value on a grid of 2^(1/16) (a block's step is at most
/// 4.4 % coarser than max|x_b| / 127) with no subnormal or non-finite scale to guard against: every byte is valid, and a
/// tensor of LoRA-sized values (~1e-4) keeps full precision because its magnitude lives in S, not in the byte.
/// </summary>
internal static class BlockCodec
{
    /// <summary>Exponent steps per octave: the scale grid is 2^(1/16), so a block's step is never more than 2^(1/16) − 1
    /// ≈ 4.4 % coarser than its own max|x_b| / 127.</summary>
    private const int StepsPerOctave = 16;

    /// <summary>Largest exponent byte: 16 octaves below S (2^−15.94 ≈ 1.6e-5 of the tensor's largest value).</summary>
    private const int MaxExponent = byte.MaxValue;

    /// <summary>M[k] = binary32 nearest 2^(−k/16), k = 0..15, by bit pattern (SPEC.md §5.4 lists them) so that every
    /// implementation multiplies by the same constants rather than by its own pow's rounding.</summary>
    private static ReadOnlySpan<uint> FractionBits =>
    [
        0x3f800000, 0x3f75257d, 0x3f6ac0c7, 0x3f60ccdf, 0x3f5744fd, 0x3f4e248c, 0x3f45672a, 0x3f3d08a4,
        0x3f3504f3, 0x3f2d583f, 0x3f25fed7, 0x3f1ef532, 0x3f1837f0, 0x3f11c3d3, 0x3f0b95c2, 0x3f05aac3,
    ];

    /// <summary>s_b = (S × M[e mod 16]) × 2^−⌊e/16⌋: two binary32 products, the second by an exact power of two.</summary>
    public static float BlockScale(float tensorScale, byte exponent)
    {
        float fraction = BitConverter.UInt32BitsToSingle(FractionBits[exponent % StepsPerOctave]);
        // 2^−m for m = 0..15 as a binary32 bit pattern: biased exponent 127 − m, zero mantissa.
        float octave = BitConverter.Int32BitsToSingle((127 - (exponent / StepsPerOctave)) << 23);
        return tensorScale * fraction * octave;
    }

    /// <summary>
    /// The largest e in 0..255 whose block scale still holds the block's largest magnitude (127 × s_b ≥ max|x_b|, compared
    /// exactly in binary64), so no value is clamped and the step is the finest the grid offers; 0 if none does (127 × S can
    /// fall one ulp short of max|x|, and q is then clamped to ±127, as int8 does). An all-zero block gets 255.
    /// </summary>
    public static byte Exponent(float tensorScale, float blockMax)
    {
        if (blockMax == 0)
        {
            return MaxExponent;
        }

        // A first guess from the ratio; the loops make the answer exact whatever the logarithm's rounding, since s_b is
        // non-increasing in e (each factor is, and binary32 rounding is monotone).
        double ratio = blockMax / (127.0 * tensorScale);
        int e = ratio > 0 && double.IsFinite(ratio) ? (int)Math.Clamp(Math.Floor(-StepsPerOctave * Math.Log2(ratio)), 0, MaxExponent) : 0;
        while (e < MaxExponent && Holds(tensorScale, (byte)(e + 1), blockMax))
        {
            e++;
        }

        while (e > 0 && !Holds(tensorScale, (byte)e, blockMax))
        {
            e--;
        }

        return (byte)e;
    }

    /// <summary>Payload of one tensor: exponent bytes, then values. <paramref name="destination"/> is exactly n + ⌈n/8⌉ bytes.</summary>
    public static void Encode(ReadOnlySpan<float> values, float tensorScale, Span<byte> destination)
    {
        int blocks = (int)TensorEncodings.BlockCount(values.Length);
        Span<byte> exponents = destination[..blocks];
        Span<sbyte> q = MemoryMarshal.Cast<byte, sbyte>(destination[blocks..]);
        for (int b = 0; b < blocks; b++)
        {
            int start = b * TensorEncodings.Int8BlockSize;
            ReadOnlySpan<float> block = values.Slice(start, Math.Min(TensorEncodings.Int8BlockSize, values.Length - start));
            Span<sbyte> blockQ = q.Slice(start, block.Length);
            if (tensorScale == 0)
            {
                // An all-zero tensor (S = 0): every q is 0; the exponent is that of an all-zero block.
                exponents[b] = MaxExponent;
                blockQ.Clear();
                continue;
            }

            byte e = Exponent(tensorScale, MathF.Abs(TensorPrimitives.MaxMagnitude(block)));
            exponents[b] = e;
            float scale = BlockScale(tensorScale, e);
            if (scale == 0)
            {
                blockQ.Clear();
                continue;
            }

            // As int8 (§5.4): r = 1 / s_b in binary32, q = round-half-even(x × r) clamped to ±127.
            float inverse = 1f / scale;
            for (int i = 0; i < block.Length; i++)
            {
                blockQ[i] = (sbyte)Math.Clamp(MathF.Round(block[i] * inverse, MidpointRounding.ToEven), -TensorCodec.Int8Max, TensorCodec.Int8Max);
            }
        }
    }

    /// <summary>Decodes one tensor (its exact byte length, checked by the caller; q = −128 checked by the caller).</summary>
    public static void Decode(ReadOnlySpan<byte> source, float tensorScale, Span<float> destination)
    {
        int blocks = (int)TensorEncodings.BlockCount(destination.Length);
        ReadOnlySpan<byte> exponents = source[..blocks];
        TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, sbyte>(source[blocks..]), destination);
        for (int b = 0; b < blocks; b++)
        {
            int start = b * TensorEncodings.Int8BlockSize;
            Span<float> block = destination.Slice(start, Math.Min(TensorEncodings.Int8BlockSize, destination.Length - start));
            TensorPrimitives.Multiply(block, BlockScale(tensorScale, exponents[b]), block);
        }
    }

    /// <summary>The value section of a tensor's bytes (after its exponent bytes), where q = −128 is malformed.</summary>
    public static ReadOnlySpan<byte> Values(ReadOnlySpan<byte> source, long elements) => source[(int)TensorEncodings.BlockCount(elements)..];

    private static bool Holds(float tensorScale, byte exponent, float blockMax) => 127.0 * BlockScale(tensorScale, exponent) >= blockMax;
}
