using System.Runtime.Intrinsics;

namespace FedMesh.Node.Merge.Internal;

/// <summary>
/// Median and trimmed mean as one formula over sorted values. Each sorted value x₍ⱼ₎ owns the slice
/// [Cⱼ₋₁, Cⱼ) of the cumulative weight axis [0, W). The β-trimmed mean is the average of the quantile function over
/// [βW, (1−β)W): coefficient of x₍ⱼ₎ = |[Cⱼ₋₁, Cⱼ) ∩ [βW, (1−β)W)| / ((1−2β)W). With equal weights and βk an
/// integer t, this is exactly "drop t per side, average the rest"; for fractional βk the boundary values count
/// fractionally (a continuous generalisation, as in weighted trimmed means of robust statistics).
/// The median is the quantile at h = W/2; when h falls exactly on a boundary Cⱼ (even k with equal weights) the two
/// neighbours are averaged, the textbook convention: coefficient = ([Cⱼ₋₁ ≤ h &lt; Cⱼ] + [Cⱼ₋₁ &lt; h ≤ Cⱼ]) / 2.
/// </summary>
internal readonly record struct QuantileWeights(bool Median, float Beta)
{
    public float Coefficient(float before, float after, float total)
    {
        if (Median)
        {
            float h = total * 0.5f;
            float c = 0f;
            if (before <= h && h < after)
            {
                c += 0.5f;
            }

            if (before < h && h <= after)
            {
                c += 0.5f;
            }

            return c;
        }

        float lo = Beta * total;
        float hi = (1f - Beta) * total;
        float overlap = MathF.Min(after, hi) - MathF.Max(before, lo);
        return overlap > 0f ? overlap * (1f / (hi - lo)) : 0f;
    }

    public Vector512<float> Coefficient(Vector512<float> before, Vector512<float> after, float total)
    {
        if (Median)
        {
            var h = Vector512.Create(total * 0.5f);
            var half = Vector512.Create(0.5f);
            Vector512<float> left = Vector512.BitwiseAnd(Vector512.LessThanOrEqual(before, h) & Vector512.LessThan(h, after), half);
            Vector512<float> right = Vector512.BitwiseAnd(Vector512.LessThan(before, h) & Vector512.LessThanOrEqual(h, after), half);
            return left + right;
        }

        float lo = Beta * total;
        float hi = (1f - Beta) * total;
        Vector512<float> overlap = Vector512.Min(after, Vector512.Create(hi)) - Vector512.Max(before, Vector512.Create(lo));
        return Vector512.Max(overlap, Vector512<float>.Zero) * Vector512.Create(1f / (hi - lo));
    }
}
