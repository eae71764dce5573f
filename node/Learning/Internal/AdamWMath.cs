using System.Numerics.Tensors;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2) and global-norm gradient clipping as pure span functions,
/// written to match torch.optim.AdamW and torch.nn.utils.clip_grad_norm_ operation for operation.
/// </summary>
internal static class AdamWMath
{
    /// <summary>Added to the norm before dividing, as in clip_grad_norm_, so a zero gradient stays finite.</summary>
    public const float ClipEpsilon = 1e-6f;

    /// <summary>The factor clip_grad_norm_ multiplies gradients by: min(1, maxNorm / (norm + 1e-6)).</summary>
    public static float ClipCoefficient(double totalNorm, float maxNorm) =>
        (float)Math.Min(1.0, maxNorm / (totalNorm + ClipEpsilon));

    /// <summary>
    /// One AdamW update of <paramref name="param"/> in place, step <paramref name="t"/> ≥ 1:
    /// p ← p(1 − lr·wd); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
    /// p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε). <paramref name="scratch"/> is at least as long as p.
    /// </summary>
    public static void Step(
        Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> scratch,
        long t, float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        int n = param.Length;
        if (grad.Length != n || m.Length != n || v.Length != n || scratch.Length < n)
        {
            throw new ArgumentException("AdamW spans must have equal lengths");
        }

        Span<float> tmp = scratch[..n];
        if (weightDecay != 0f)
        {
            TensorPrimitives.Multiply(param, 1f - (lr * weightDecay), param);
        }

        TensorPrimitives.Multiply(m, beta1, m);
        TensorPrimitives.MultiplyAdd(grad, 1f - beta1, m, m);
        TensorPrimitives.Multiply(grad, grad, tmp);
        TensorPrimitives.Multiply(v, beta2, v);
        TensorPrimitives.MultiplyAdd(tmp, 1f - beta2, v, v);

        double biasCorrection1 = 1.0 - Math.Pow(beta1, t);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, t);
        float stepSize = (float)(lr / biasCorrection1);
        float invSqrtBc2 = (float)(1.0 / Math.Sqrt(biasCorrection2));
        TensorPrimitives.Sqrt(v, tmp);
        TensorPrimitives.Multiply(tmp, invSqrtBc2, tmp);
        TensorPrimitives.Add(tmp, eps, tmp);
        TensorPrimitives.Divide(m, tmp, tmp);
        TensorPrimitives.MultiplyAdd(tmp, -stepSize, param, param);
    }
}
