using System.Numerics.Tensors;

namespace FedMesh.Node.Privacy;

/// <summary>L2 clipping of a flat delta, the sensitivity bound of the Gaussian mechanism (Abadi et al. 2016, Alg. 1).</summary>
public static class DeltaClipping
{
    /// <summary>‖x‖₂, accumulated in double so 4 M-coordinate deltas do not lose precision in float.</summary>
    public static double L2Norm(ReadOnlySpan<float> delta)
    {
        // Chunks of float dot products (vectorised) summed in double: each chunk's float error stays ~1e-7
        // relative, and the chunk sums do not compound it.
        const int Chunk = 4096;
        double sum = 0;
        for (int i = 0; i < delta.Length; i += Chunk)
        {
            ReadOnlySpan<float> part = delta.Slice(i, Math.Min(Chunk, delta.Length - i));
            sum += TensorPrimitives.Dot(part, part);
        }

        return Math.Sqrt(sum);
    }

    /// <summary>The factor min(1, C / ‖x‖) that brings a delta of norm <paramref name="norm"/> within C.</summary>
    public static double ClipScale(double norm, double clipNorm) =>
        norm > clipNorm && norm > 0 ? clipNorm / norm : 1.0;

    /// <summary>
    /// Scales <paramref name="delta"/> in place to norm ≤ <paramref name="clipNorm"/>, keeping its direction;
    /// a delta already inside the ball is untouched. Returns the scale applied. Non-finite coordinates are
    /// refused: their norm is undefined and no scale would bound the sensitivity.
    /// </summary>
    public static double ClipInPlace(Span<float> delta, double clipNorm)
    {
        if (!(clipNorm > 0) || !double.IsFinite(clipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "clip norm must be finite and > 0");
        }

        double norm = L2Norm(delta);
        if (!double.IsFinite(norm))
        {
            throw new ArgumentException("delta contains NaN or infinite values; it cannot be clipped", nameof(delta));
        }

        double scale = ClipScale(norm, clipNorm);
        if (scale < 1.0)
        {
            // Rounding may leave the float result a few ulps above C; shrinking the factor by 1e-6 relative
            // guarantees ‖result‖ ≤ C, which the sensitivity bound needs, at a negligible cost.
            float factor = (float)(scale * (1 - 1e-6));
            TensorPrimitives.Multiply(delta, factor, delta);
            return factor;
        }

        return 1.0;
    }
}
