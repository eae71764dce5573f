using System.Numerics.Tensors;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// The one memory-bound pass that the mean, the Weiszfeld iterations, centered clipping and the distance report all
/// share: per coordinate block, z ← bias·z + Σ coefᵢ·xᵢ (optional), then ‖xᵢ − z‖² accumulated per input
/// (optional) while the block is still in cache. One pass reads the k·d inputs once, so an iteration of the
/// geometric median or of centered clipping costs one read of the inputs, not two.
/// </summary>
internal static unsafe class FusedKernel
{
    /// <param name="rows">Pinned inputs.</param>
    /// <param name="d">Coordinates per input.</param>
    /// <param name="coefficients">Per-input coefficients of the update, or empty for no update.</param>
    /// <param name="bias">Multiplier of the previous z in the update (0: z is overwritten).</param>
    /// <param name="z">Address of the d-float output / previous value.</param>
    /// <param name="measure">Accumulate squared distances of every input to the (updated) z.</param>
    /// <param name="maxDop">Cores to use.</param>
    /// <returns>Squared distances per input, or an empty array when <paramref name="measure"/> is false.</returns>
    public static double[] Run(PinnedRows rows, int d, float[] coefficients, float bias, nint z, bool measure, int maxDop)
    {
        int k = rows.Count;
        bool update = coefficients.Length > 0;
        nint[] x = rows.Addresses;
        int block = CoordinateBlocks.BlockLength(k);
        if (!measure)
        {
            CoordinateBlocks.For(d, block, maxDop, (start, len) => UpdateBlock(x, coefficients, bias, z, start, len));
            return [];
        }

        double[] sums = CoordinateBlocks.Sum(d, block, maxDop, k, (start, len, acc) =>
        {
            if (update)
            {
                UpdateBlock(x, coefficients, bias, z, start, len);
            }

            var zs = new ReadOnlySpan<float>((float*)z + start, len);
            for (int i = 0; i < k; i++)
            {
                double dist = TensorPrimitives.Distance(new ReadOnlySpan<float>((float*)x[i] + start, len), zs);
                acc[i] += dist * dist;
            }
        });
        return sums;
    }

    private static void UpdateBlock(nint[] x, float[] coefficients, float bias, nint z, int start, int len)
    {
        var zs = new Span<float>((float*)z + start, len);
        int i0 = 0;
        if (bias == 0f)
        {
            TensorPrimitives.Multiply(new ReadOnlySpan<float>((float*)x[0] + start, len), coefficients[0], zs);
            i0 = 1;
        }
        else if (bias != 1f)
        {
            TensorPrimitives.Multiply(zs, bias, zs);
        }

        for (int i = i0; i < x.Length; i++)
        {
            // zs stays in L1/L2 across the k passes of this block (see CoordinateBlocks.BlockLength).
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)x[i] + start, len), coefficients[i], zs, zs);
        }
    }
}
