using System.Buffers.Binary;

namespace FedMesh.Protocol.Deltas.Internal;

/// <summary>
/// Modulo int8 (SPEC.md §5.4, code 5), a Wyner–Ziv code with the receiver's own state as side information: the sender
/// picks a step s (the manifest's scale) fine enough for its values' differences from its receivers' states, computes
/// Q = round-half-even(x × (1/s)) and sends per block of 64 elements a u16 check, then each Q mod 256 as a byte. A
/// receiver with value y takes R = round-half-even(y × (1/s)) and decodes Q̂ = R + ((q − R) mod 256, as −128..127), so
/// Q̂ = Q whenever |Q − R| ≤ 127 (|x − y| &lt; 127·s up to rounding), and then x̂ = Q̂ × s is within s/2 of x. Otherwise Q̂
/// is off by a multiple of 256 on the elements whose |x − y| was too large, and the block's check, Σ (2j + 1)·⌊Q_j / 256⌋
/// mod 2^16 over the block's elements j, tells: the decoder refuses the tensor rather than return a wrapped value.
/// </summary>
internal static class ModuloCodec
{
    /// <summary>Largest |Q| a sender may produce (2^22): s ≥ max|x| / 2^22, so Q and the receiver's R (bounded by
    /// <see cref="MaxSideSteps"/>) are exact binary32 integers and R + d never leaves int32.</summary>
    public const float MaxSteps = 4194304f;

    /// <summary>Largest |y / s| a receiver decodes against (2^23): beyond it its own value is so far from anything the
    /// sender can send (|Q| ≤ 2^22) that the decode cannot be right, and |Q̂| ≤ 2^23 + 128 &lt; 2^24 keeps Q̂ × s one
    /// rounding.</summary>
    public const float MaxSideSteps = 8388608f;

    /// <summary>Smallest scale: the least normal binary32 (2^−126), so 1 / s is finite (a subnormal s would overflow it).</summary>
    public static readonly float MinScale = BitConverter.UInt32BitsToSingle(0x00800000);

    /// <summary>Whether <paramref name="scale"/> is a valid modulo int8 step: finite and at least <see cref="MinScale"/>.</summary>
    public static bool IsValidScale(float scale) => float.IsFinite(scale) && scale >= MinScale;

    /// <summary>
    /// Payload of one tensor: ⌈n/64⌉ u16 little-endian checks, then the n bytes Q mod 256. <paramref name="destination"/>
    /// is exactly n + 2⌈n/64⌉ bytes. Throws when some |x / s| exceeds <see cref="MaxSteps"/> (the caller's step is too fine).
    /// </summary>
    public static void Encode(ReadOnlySpan<float> values, float scale, Span<byte> destination)
    {
        if (!IsValidScale(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "modulo int8 needs a finite step ≥ 2^-126");
        }

        int blocks = (int)TensorEncodings.ModuloBlockCount(values.Length);
        Span<byte> q = destination[(2 * blocks)..];
        float inverse = 1f / scale;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * TensorEncodings.ModuloBlockSize;
            int length = Math.Min(TensorEncodings.ModuloBlockSize, values.Length - start);
            uint check = 0;
            for (int j = 0; j < length; j++)
            {
                float t = MathF.Round(values[start + j] * inverse, MidpointRounding.ToEven);
                if (!(MathF.Abs(t) <= MaxSteps))
                {
                    throw new ArgumentOutOfRangeException(nameof(scale), scale, $"value {values[start + j]} is more than 2^22 steps of {scale} from 0");
                }

                int steps = (int)t;
                q[start + j] = unchecked((byte)steps);
                check += Weight(j) * unchecked((uint)(steps >> 8));
            }

            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2 * b, 2), unchecked((ushort)check));
        }
    }

    /// <summary>
    /// Decodes one tensor (its exact byte length, checked by the caller) against <paramref name="side"/>, the receiver's
    /// own values of the same elements. Returns null, or why the tensor cannot be decoded here: an own value more than
    /// 2^23 steps from 0, or a block whose check does not match (some element wrapped: the sender's value was farther
    /// than 127 steps from the receiver's). <paramref name="destination"/> is then partly written and must be discarded.
    /// </summary>
    public static string? Decode(ReadOnlySpan<byte> source, float scale, ReadOnlySpan<float> side, Span<float> destination)
    {
        if (!IsValidScale(scale))
        {
            return $"scale {scale} is not a finite step ≥ 2^-126";
        }

        int blocks = (int)TensorEncodings.ModuloBlockCount(destination.Length);
        ReadOnlySpan<byte> q = source[(2 * blocks)..];
        float inverse = 1f / scale;
        for (int b = 0; b < blocks; b++)
        {
            int start = b * TensorEncodings.ModuloBlockSize;
            int length = Math.Min(TensorEncodings.ModuloBlockSize, destination.Length - start);
            uint check = 0;
            for (int j = 0; j < length; j++)
            {
                float t = MathF.Round(side[start + j] * inverse, MidpointRounding.ToEven);
                if (!(MathF.Abs(t) <= MaxSideSteps))
                {
                    return $"own value {side[start + j]} of element {start + j} is more than 2^23 steps of {scale} from 0";
                }

                int own = (int)t;
                // The residue difference as −128..127: (q − R) mod 256, then the upper half taken as negative.
                int d = (q[start + j] - own) & 0xFF;
                int steps = own + (d >= 128 ? d - 256 : d);
                check += Weight(j) * unchecked((uint)(steps >> 8));
                destination[start + j] = steps * scale;
            }

            ushort expected = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * b, 2));
            if (unchecked((ushort)check) != expected)
            {
                return $"block {b} (elements {start}..{start + length - 1}) fails its check: the sender's values are more than 127 steps of {scale} from this node's own";
            }
        }

        return null;
    }

    /// <summary>The check's weight of the j-th element of a block: 2j + 1, odd (so a single wrapped element always changes
    /// the sum mod 2^16) and distinct (so two wrapped elements of ±1 never cancel).</summary>
    private static uint Weight(int j) => (2u * (uint)j) + 1;
}
