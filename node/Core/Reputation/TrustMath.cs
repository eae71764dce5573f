namespace FedMesh.Node.Reputation;

/// <summary>The trust model as pure functions (tests call them directly).</summary>
public static class TrustMath
{
    /// <summary>
    /// Score of one delta from its distance to the robust aggregate: 1 while distance ≤ tolerance × median,
    /// then exp(−(r − tolerance)) with r = distance / median: at tolerance 1.5, r = 2.5 scores 0.37 and
    /// r = 5 scores 0.03. Measuring in median units makes the
    /// score scale-free (it does not depend on learning rate or adapter size). A zero median (all other deltas
    /// identical to the aggregate) scores any positive distance 0.
    /// </summary>
    public static double DistanceScore(double distance, double medianDistance, double tolerance)
    {
        if (!double.IsFinite(distance) || distance < 0)
        {
            return 0;
        }

        if (!(medianDistance > 0))
        {
            return distance == 0 ? 1 : 0;
        }

        double ratio = distance / medianDistance;
        return ratio <= tolerance ? 1 : Math.Exp(-(ratio - tolerance));
    }

    /// <summary>EWMA update: (1 − λ)·trust + λ·score, clamped to [0, 1].</summary>
    public static double Update(double trust, double score, double decay) =>
        Math.Clamp(((1 - decay) * trust) + (decay * score), 0, 1);

    /// <summary>
    /// Merge weight of a peer: 0 below <paramref name="ignoreBelow"/> (ignored), 1 from
    /// <paramref name="fullWeightAbove"/>, linear in between (down-weighted).
    /// </summary>
    public static double Weight(double trust, double ignoreBelow, double fullWeightAbove)
    {
        if (trust < ignoreBelow)
        {
            return 0;
        }

        return trust >= fullWeightAbove ? 1 : (trust - ignoreBelow) / (fullWeightAbove - ignoreBelow);
    }

    /// <summary>Median of the values (mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values];
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
