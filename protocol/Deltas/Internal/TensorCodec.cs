using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace FedMesh.Protocol.Deltas.Internal;

/// <summary>
/// The element encodings of SPEC.md §5.4 as pure functions over spans: little-endian fp32, fp16
/// (round-to-nearest-even via <see cref="TensorPrimitives.ConvertToHalf"/>), symmetric per-tensor int8 and block int8
/// (<see cref="BlockCodec"/>).
/// </summary>
internal static class TensorCodec
{
    /// <summary>Largest finite binary16 magnitude.</summary>
    public const float MaxFloat16 = 65504f;

    /// <summary>Symmetric int8 range: −127..127, so that q·s is symmetric around 0 and −128 never occurs.</summary>
    public const int Int8Max = 127;

    /// <summary>Per-tensor int8 scale s = max|x| / 127 (0 for an all-zero tensor).</summary>
    public static float Int8Scale(ReadOnlySpan<float> values) =>
        values.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(values)) / Int8Max;

    /// <summary>Encodes <paramref name="values"/> into <paramref name="destination"/> (exactly the tensor's byte length).</summary>
    public static void Encode(ReadOnlySpan<float> values, TensorEncoding encoding, float scale, Span<byte> destination)
    {
        switch (encoding)
        {
            case TensorEncoding.Float32:
                WriteFloat32(values, destination);
                break;
            case TensorEncoding.Float16:
                {
                    Span<Half> halves = MemoryMarshal.Cast<byte, Half>(destination);
                    TensorPrimitives.ConvertToHalf(values, halves);
                    if (!BitConverter.IsLittleEndian)
                    {
                        Span<ushort> raw = MemoryMarshal.Cast<Half, ushort>(halves);
                        BinaryPrimitives.ReverseEndianness(raw, raw);
                    }

                    break;
                }

            case TensorEncoding.Int8:
                QuantizeInt8(values, scale, MemoryMarshal.Cast<byte, sbyte>(destination));
                break;
            case TensorEncoding.BlockInt8:
                BlockCodec.Encode(values, scale, destination);
                break;
            case TensorEncoding.ModuloInt8:
                ModuloCodec.Encode(values, scale, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding");
        }
    }

    /// <summary>Decodes one tensor's bytes into floats. Callers have checked the lengths.</summary>
    public static void Decode(ReadOnlySpan<byte> source, TensorEncoding encoding, float scale, Span<float> destination)
    {
        switch (encoding)
        {
            case TensorEncoding.Float32:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                if (!BitConverter.IsLittleEndian)
                {
                    Span<int> raw = MemoryMarshal.Cast<float, int>(destination);
                    BinaryPrimitives.ReverseEndianness(raw, raw);
                }

                break;
            case TensorEncoding.Float16:
                if (BitConverter.IsLittleEndian)
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                }
                else
                {
                    Half[] swapped = MemoryMarshal.Cast<byte, Half>(source).ToArray();
                    Span<ushort> raw = MemoryMarshal.Cast<Half, ushort>(swapped.AsSpan());
                    BinaryPrimitives.ReverseEndianness(raw, raw);
                    TensorPrimitives.ConvertToSingle(swapped, destination);
                }

                break;
            case TensorEncoding.Int8:
                TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, sbyte>(source), destination);
                TensorPrimitives.Multiply(destination, scale, destination);
                break;
            case TensorEncoding.BlockInt8:
                BlockCodec.Decode(source, scale, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown tensor encoding");
        }
    }

    /// <summary>Worst-case absolute error of one fp16 round trip of x (round-to-nearest: half an ulp):
    /// 2⁻¹¹·|x| for normal halves, 2⁻²⁵ (half the subnormal spacing 2⁻²⁴) below 2⁻¹⁴.</summary>
    public static double Float16ErrorBound(float x) => Math.Max(Math.Abs(x) * Math.Pow(2, -11), Math.Pow(2, -25));

    /// <summary>Worst-case absolute error of int8 with scale s: rounding to the nearest multiple of s, s/2
    /// (plus float32 rounding of q·s, at most one ulp of 127·s, which the caller may add).</summary>
    public static double Int8ErrorBound(float scale) => scale / 2.0;

    private static void WriteFloat32(ReadOnlySpan<float> values, Span<byte> destination)
    {
        MemoryMarshal.AsBytes(values).CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            Span<int> raw = MemoryMarshal.Cast<byte, int>(destination);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
    }

    /// <summary>q = round(x / s) clamped to ±127 (0 everywhere when s = 0), vectorised in blocks.</summary>
    private static void QuantizeInt8(ReadOnlySpan<float> values, float scale, Span<sbyte> destination)
    {
        if (scale == 0)
        {
            destination.Clear();
            return;
        }

        // Block size: a 4 KiB stack buffer of floats, small enough for stackalloc, large enough to vectorise.
        const int Block = 1024;
        Span<float> scaled = stackalloc float[Block];
        float inverse = 1f / scale;
        for (int i = 0; i < values.Length; i += Block)
        {
            int n = Math.Min(Block, values.Length - i);
            Span<float> s = scaled[..n];
            TensorPrimitives.Multiply(values.Slice(i, n), inverse, s);
            TensorPrimitives.Round(s, MidpointRounding.ToEven, s);
            TensorPrimitives.Clamp(s, -Int8Max, Int8Max, s);
            TensorPrimitives.ConvertTruncating(s, destination.Slice(i, n));
        }
    }
}
