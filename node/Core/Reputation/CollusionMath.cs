using System.Numerics.Tensors;
using FedMesh.Node.Merge;

namespace FedMesh.Node.Reputation;

/// <summary>
/// History-aware collusion scoring as pure functions (tests call them directly).
/// <para>
/// Why: ALIE ("A Little Is Enough", Baruch, Baruch, Goldberg 2019) has every Byzantine peer send the same
/// μ − z·σ, inside the honest spread, so no distance test rejects it, and the copies form a point mass that
/// drags the geometric median (or any rule) towards it round after round. What gives it away is history: each
/// colluder's deviation from the node's aggregate is the same vector every round, while honest deviations are
/// local SGD noise plus a local-data pull that is independent between peers. FoolsGold (Fung, Yoon, Beschastnikh
/// 2020, "The Limitations of Federated Learning in Sybil Settings", Alg. 1) scores peers by the largest cosine
/// similarity of their accumulated update history to any other peer's; here the history is an exponential moving
/// average of each peer's deviation (state − aggregate), which a per-round jitter between colluders averages out
/// (the momentum idea of Karimireddy, He, Jaggi 2021, "Learning from History for Byzantine Robust Optimization").
/// </para>
/// </summary>
public static class CollusionMath
{
    /// <summary>
    /// One step of the deviation history: ema ← (1 − β)·ema + β·deviation, in place. The first observation of a
    /// peer should copy its deviation instead (an unbiased start, as Adam's bias correction).
    /// </summary>
    public static void Accumulate(Span<float> ema, ReadOnlySpan<float> deviation, double beta)
    {
        if (ema.Length != deviation.Length)
        {
            throw new ArgumentException($"history has {ema.Length} floats, the deviation {deviation.Length}", nameof(deviation));
        }

        if (!(beta is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "must be in (0, 1]");
        }

        TensorPrimitives.Multiply(ema, (float)(1 - beta), ema);
        TensorPrimitives.MultiplyAdd(deviation, (float)beta, ema, ema);
    }

    /// <summary>
    /// The histories minus their coordinate-wise median: what every peer shares is removed before peers are
    /// compared. Without it, an aggregate pulled away from the honest peers (by a scaling attacker before
    /// reputation has caught it, or by ALIE itself) gives every honest deviation the same offset, and honest peers
    /// would look like colluders to each other. The median, not the mean, so that attackers (a minority) cannot
    /// move the common part onto the honest side.
    /// </summary>
    public static float[][] WithoutCommonPart(IReadOnlyList<ReadOnlyMemory<float>> histories)
    {
        ArgumentNullException.ThrowIfNull(histories);
        float[][] centered = new float[histories.Count][];
        for (int i = 0; i < centered.Length; i++)
        {
            centered[i] = new float[histories[0].Length];
        }

        WithoutCommonPart(histories, centered);
        return centered;
    }

    /// <summary>
    /// <see cref="WithoutCommonPart(IReadOnlyList{ReadOnlyMemory{float}})"/> into <paramref name="destination"/>
    /// (one buffer of the histories' length per history, in their order), so a caller scoring every round reuses its
    /// buffers.
    /// </summary>
    public static void WithoutCommonPart(IReadOnlyList<ReadOnlyMemory<float>> histories, IReadOnlyList<float[]> destination)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Count < histories.Count)
        {
            throw new ArgumentException("one destination buffer per history", nameof(destination));
        }

        if (histories.Count == 0)
        {
            return;
        }

        float[] common = new float[histories[0].Length];
        float[] unit = new float[histories.Count];
        Array.Fill(unit, 1f);
        Aggregation.CoordinateMedian(histories, unit, common);
        for (int i = 0; i < histories.Count; i++)
        {
            TensorPrimitives.Subtract(histories[i].Span, common, destination[i].AsSpan(0, common.Length));
        }
    }

    /// <summary>
    /// For each history, the largest cosine similarity to any other history (FoolsGold's vᵢ = maxⱼ csᵢⱼ). A zero
    /// history (a peer sitting exactly on the aggregate) has no direction and scores 0 against everything; a
    /// single history has no partner and scores 0. O(k²·d) with k ≤ the merge cap (32).
    /// </summary>
    public static double[] MaxCosineToOthers(IReadOnlyList<ReadOnlyMemory<float>> histories)
    {
        ArgumentNullException.ThrowIfNull(histories);
        int k = histories.Count;
        var norms = new double[k];
        for (int i = 0; i < k; i++)
        {
            if (histories[i].Length != histories[0].Length)
            {
                throw new ArgumentException("histories differ in length", nameof(histories));
            }

            norms[i] = TensorPrimitives.Norm(histories[i].Span);
        }

        var best = new double[k];
        Array.Fill(best, k > 1 ? -1.0 : 0.0);
        for (int i = 0; i < k; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                double cos = norms[i] > 0 && norms[j] > 0
                    ? TensorPrimitives.Dot(histories[i].Span, histories[j].Span) / (norms[i] * norms[j])
                    : 0;
                best[i] = Math.Max(best[i], cos);
                best[j] = Math.Max(best[j], cos);
            }
        }

        return best;
    }

    /// <summary>
    /// Score in [0, 1] of a peer whose history's largest cosine to another peer's is <paramref name="maxCosine"/>:
    /// 1 up to <paramref name="low"/>, 0 from <paramref name="high"/>, linear in between (FoolsGold's
    /// 1 − maxⱼ csᵢⱼ, with a flat honest region so that moderately similar honest peers are not penalised at all).
    /// </summary>
    public static double Score(double maxCosine, double low, double high)
    {
        if (!(low < high))
        {
            throw new ArgumentException($"low ({low}) must be below high ({high})");
        }

        if (double.IsNaN(maxCosine))
        {
            return 1;
        }

        return Math.Clamp((high - maxCosine) / (high - low), 0, 1);
    }
}
