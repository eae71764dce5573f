using System.Numerics.Tensors;
using FedMesh.Node.Merge;

namespace FedMesh.Node.Reputation;

/// <summary>
/// Copy and collusion evidence between pairs of peers as pure functions (tests call them directly): which states of
/// one merge are near-copies of each other, how strongly a pair's history of deviations links them, and the share of
/// its merge weight a linked input keeps.
/// <para>
/// Why: colluding ALIE senders (Baruch, Baruch, Goldberg 2019) craft μ − z·σ from the same honest states, so releases
/// they make around the same time are copies up to the transport's rounding, while two honest states differ by their
/// own data and training noise. A neighbours-mode node rarely holds two given colluders' same-time releases in one
/// merge, so the evidence is kept per pair across merges (<c>Internal/CopyEvidence</c>). Linked inputs then share
/// their weight, as FoolsGold (Fung, Yoon, Beschastnikh 2020) down-weights Sybils by similarity: k copies speak with
/// about one voice instead of k. The per-peer history score (<see cref="CollusionMath"/>) catches colluders that stay
/// near-identical; this pairwise evidence also catches the weaker, lasting correlation (mean cosine 0.3–0.6) that the
/// score's 0.9 threshold leaves alone.
/// </para>
/// </summary>
public static class CopyEvidenceMath
{
    /// <summary>
    /// Pairs (i &lt; j) of rows that are near-copies: ‖xᵢ − xⱼ‖ ≤ <paramref name="ratio"/> × the robust scale of the
    /// merge, the median distance of the rows to their coordinate-wise median, and |tᵢ − tⱼ| ≤
    /// <paramref name="maxTimeGap"/> (states made around the same time; colluders crafting at different times see
    /// different honest states). The scale is the median's, not the mean pairwise distance's, so that a cluster of
    /// copies (a third of the rows) cannot shrink it onto itself. Fewer than 3 rows or a scale of 0 give no pairs (no
    /// typical distance to compare against). O(k²·d).
    /// </summary>
    public static List<(int I, int J)> NearCopies(
        IReadOnlyList<ReadOnlyMemory<float>> rows, ReadOnlySpan<double> times, double ratio, double maxTimeGap)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return NearCopies(rows, times, ratio, maxTimeGap, rows.Count < 3 || ratio == 0 ? 0 : RobustScale(rows));
    }

    /// <summary>
    /// <see cref="NearCopies(IReadOnlyList{ReadOnlyMemory{float}}, ReadOnlySpan{double}, double, double)"/> against a
    /// robust scale the caller already has (<see cref="RobustScale"/> of the same rows): a merge that looks for near
    /// copies and for close calls (two ratios) computes the coordinate median once. A scale that is not positive gives
    /// no pairs.
    /// </summary>
    public static List<(int I, int J)> NearCopies(
        IReadOnlyList<ReadOnlyMemory<float>> rows, ReadOnlySpan<double> times, double ratio, double maxTimeGap, double scale)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (times.Length != rows.Count)
        {
            throw new ArgumentException($"{times.Length} times for {rows.Count} rows", nameof(times));
        }

        if (!(ratio >= 0) || double.IsInfinity(ratio))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "must be finite and >= 0");
        }

        if (!(maxTimeGap >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxTimeGap), maxTimeGap, "must be >= 0");
        }

        var found = new List<(int, int)>();
        int k = rows.Count;
        if (k < 3 || ratio == 0 || !(scale > 0))
        {
            return found;
        }

        for (int i = 0; i < k; i++)
        {
            for (int j = i + 1; j < k; j++)
            {
                if (rows[j].Length != rows[i].Length)
                {
                    throw new ArgumentException($"row {j} has {rows[j].Length} floats, row {i} {rows[i].Length}", nameof(rows));
                }

                if (Math.Abs(times[i] - times[j]) <= maxTimeGap && TensorPrimitives.Distance(rows[i].Span, rows[j].Span) <= ratio * scale)
                {
                    found.Add((i, j));
                }
            }
        }

        return found;
    }

    /// <summary>The median distance of the rows to their coordinate-wise median (the lower median for even k).</summary>
    public static double RobustScale(IReadOnlyList<ReadOnlyMemory<float>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int k = rows.Count;
        if (k == 0)
        {
            return 0;
        }

        float[] center = new float[rows[0].Length];
        float[] unit = new float[k];
        Array.Fill(unit, 1f);
        Aggregation.CoordinateMedian(rows, unit, center);
        double[] distances = new double[k];
        for (int i = 0; i < k; i++)
        {
            distances[i] = TensorPrimitives.Distance(rows[i].Span, center);
        }

        Array.Sort(distances);
        return distances[(k - 1) / 2];
    }

    /// <summary>
    /// How strongly a pair is linked, in [0, 1]: 1 once any near-copy was seen (<paramref name="nearCopies"/> ≥ 1);
    /// otherwise, if the cosine counts (<paramref name="cosineCounts"/>: one of the two has a close call with some
    /// peer, or <see cref="ReputationOptions.CosineLinkNeedsCloseCall"/> is off) and after at least
    /// <paramref name="minObservations"/> cosines of the pair's deviation histories, a linear ramp of their mean from 0
    /// at <paramref name="low"/> to 1 at <paramref name="high"/>; 0 otherwise.
    /// </summary>
    public static double Link(int nearCopies, double meanCosine, int observations, double low, double high, int minObservations, bool cosineCounts)
    {
        if (!(low < high))
        {
            throw new ArgumentException($"low ({low}) must be below high ({high})");
        }

        if (nearCopies > 0)
        {
            return 1;
        }

        if (!cosineCounts || observations < minObservations || observations == 0 || double.IsNaN(meanCosine))
        {
            return 0;
        }

        return Math.Clamp((meanCosine - low) / (high - low), 0, 1);
    }

    /// <summary>
    /// The factor on an input's merge weight given the sum of its links to the merge's other inputs:
    /// (1 + <paramref name="linkSum"/>)^−<paramref name="exponent"/> (<see cref="ReputationOptions.CopyShareExponent"/>).
    /// A group of k fully linked copies then weighs k^(1 − e) inputs together (e = 1: one input, e = 2: 1/k of one); an
    /// input linked to nothing keeps its weight at any exponent; an honest input loses weight only to peers linked to it
    /// directly; e = 0 leaves every weight as it was.
    /// </summary>
    public static double ShareFactor(double linkSum, double exponent)
    {
        if (!(linkSum >= 0) || double.IsInfinity(linkSum))
        {
            throw new ArgumentOutOfRangeException(nameof(linkSum), linkSum, "must be finite and >= 0");
        }

        if (!(exponent >= 0) || double.IsInfinity(exponent))
        {
            throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "must be finite and >= 0");
        }

        // The plain quotient at e = 1 (what this factor was before the exponent), to the last bit.
        return exponent == 1 ? 1 / (1 + linkSum) : Math.Pow(1 + linkSum, -exponent);
    }

    /// <summary>
    /// Each input's link sum over the others, from a symmetric <paramref name="link"/>(i, j) for i &lt; j: element i is
    /// Σⱼ≠ᵢ link(i, j). O(k²) calls.
    /// </summary>
    public static double[] LinkSums(int count, Func<int, int, double> link)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(link);
        var sums = new double[count];
        for (int i = 0; i < count; i++)
        {
            for (int j = i + 1; j < count; j++)
            {
                double l = link(i, j);
                sums[i] += l;
                sums[j] += l;
            }
        }

        return sums;
    }
}
