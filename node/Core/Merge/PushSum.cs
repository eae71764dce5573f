using System.Numerics.Tensors;

namespace FedMesh.Node.Merge;

/// <summary>A push-sum share: a slice of a node's mass, addressed to one out-neighbour.</summary>
/// <param name="Numerator">The numerator share x/(n+1) (d floats).</param>
/// <param name="Weight">The push-sum weight share w/(n+1).</param>
/// <param name="Origin">The node that split it.</param>
/// <param name="Target">The out-neighbour it is for.</param>
/// <param name="Round">The origin's round when it was split.</param>
public sealed record PushSumShare(float[] Numerator, double Weight, string Origin, string Target, long Round);

/// <summary>
/// One node's push-sum state (Kempe, Dobra, Gehrke 2003, "Gossip-based computation of aggregate information";
/// Stochastic Gradient Push, Assran et al. 2019): a numerator x and a weight w whose ratio z = x/w is the node's
/// model. Each round a node keeps 1/(n+1) of (x, w) and sends 1/(n+1) to each of its n out-neighbours; receivers
/// add what arrives. Total mass Σx and Σw is conserved, so z converges to the true average Σxᵢ(0)/Σwᵢ(0) even on
/// directed, asymmetric graphs where plain neighbour averaging converges to a degree-weighted (biased) value.
/// </summary>
public sealed class PushSumState
{
    private readonly float[] _numerator;

    public PushSumState(string self, ReadOnlySpan<float> model, double weight = 1.0)
    {
        ArgumentException.ThrowIfNullOrEmpty(self);
        if (!(weight > 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "push-sum weight must be positive and finite");
        }

        Self = self;
        Weight = weight;
        _numerator = model.ToArray();
        TensorPrimitives.Multiply(_numerator, (float)weight, _numerator);
    }

    public string Self { get; }

    public double Weight { get; private set; }

    public ReadOnlySpan<float> Numerator => _numerator;

    public int Length => _numerator.Length;

    /// <summary>The de-biased model z = x / w.</summary>
    public void Estimate(Span<float> destination) => TensorPrimitives.Multiply(_numerator, (float)(1.0 / Weight), destination);

    /// <summary>Adds a local training step Δ to the model z, i.e. x += w·Δ (SGP applies gradients to z).</summary>
    public void ApplyLocalStep(ReadOnlySpan<float> delta) =>
        TensorPrimitives.MultiplyAdd(delta, (float)Weight, _numerator, _numerator);

    /// <summary>Splits the mass into targets.Count + 1 equal parts; keeps one, returns one share per target.</summary>
    public IReadOnlyList<PushSumShare> Split(IReadOnlyList<string> targets, long round)
    {
        ArgumentNullException.ThrowIfNull(targets);
        float part = 1f / (targets.Count + 1);
        TensorPrimitives.Multiply(_numerator, part, _numerator);
        Weight /= targets.Count + 1;
        return targets.Select(t => new PushSumShare((float[])_numerator.Clone(), Weight, Self, t, round)).ToArray();
    }

    /// <summary>Plain push-sum receive: x += xⱼ, w += wⱼ. The caller admits shares through <see cref="ContributionTracker"/>.</summary>
    public void Absorb(PushSumShare share)
    {
        ArgumentNullException.ThrowIfNull(share);
        if (share.Numerator.Length != _numerator.Length)
        {
            throw new ArgumentException($"share has {share.Numerator.Length} values, the model {_numerator.Length}", nameof(share));
        }

        TensorPrimitives.Add(_numerator, share.Numerator, _numerator);
        Weight += share.Weight;
    }

    /// <summary>
    /// Robust receive (node/Merge/README.md §Robust push-sum): the shares' de-biased models zⱼ = xⱼ/wⱼ become deltas
    /// δⱼ = zⱼ − z relative to our model z, the aggregator combines them (weights wⱼ × extra weight, e.g.
    /// staleness × reputation; centered clipping centers on 0 = our model), and the received mass is replaced by
    /// (Σwⱼ)·(z + δ*): x ← x + (Σwⱼ)(z + δ*), w ← w + Σwⱼ. With the weighted mean and unit extra weights,
    /// (Σwⱼ)(z + Σwⱼδⱼ/Σwⱼ) = Σwⱼzⱼ = Σxⱼ, i.e. exactly plain push-sum; a robust rule trades that exactness for
    /// bounded influence of any single share.
    /// </summary>
    /// <param name="shares">Admitted shares of this round (see <see cref="ContributionTracker"/>).</param>
    /// <param name="extraWeights">Per-share factor on the aggregation weight (staleness × reputation).</param>
    /// <param name="aggregator">The configured rule.</param>
    /// <param name="maxWeightRatio">
    /// A share's push-sum weight is capped at this multiple of our own weight before use: a Byzantine peer could
    /// otherwise claim a huge wⱼ and dilute every honest node's mass. Honest shares are w/(n+1) of a weight of the
    /// same order as ours, so 4 only binds on inflated claims.
    /// </param>
    /// <returns>The aggregation result (rejections, selections, distances) for reputation.</returns>
    public AggregationResult AbsorbRobust(IReadOnlyList<PushSumShare> shares, IReadOnlyList<double> extraWeights, IAggregator aggregator, double maxWeightRatio = 4.0)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentNullException.ThrowIfNull(extraWeights);
        ArgumentNullException.ThrowIfNull(aggregator);
        int d = _numerator.Length;
        var z = new float[d];
        Estimate(z);
        var inputs = new DeltaInput[shares.Count];
        var capped = new double[shares.Count];
        for (int j = 0; j < shares.Count; j++)
        {
            PushSumShare s = shares[j];
            capped[j] = Math.Min(s.Weight, maxWeightRatio * Weight);
            float[] delta = new float[s.Numerator.Length];
            if (s.Numerator.Length == d && s.Weight > 0 && double.IsFinite(s.Weight))
            {
                TensorPrimitives.Multiply(s.Numerator, (float)(1.0 / s.Weight), delta);
                TensorPrimitives.Subtract(delta, z, delta);
            }

            inputs[j] = new DeltaInput(delta, capped[j] * extraWeights[j], s.Origin);
        }

        var aggregate = new float[d];
        AggregationResult result = aggregator.Aggregate(inputs, aggregate);
        if (!result.HasAggregate)
        {
            return result;
        }

        double received = result.Outcomes.Where(o => o.Accepted).Sum(o => capped[o.Index]);
        TensorPrimitives.Add(aggregate, z, aggregate);
        TensorPrimitives.MultiplyAdd(aggregate, (float)received, _numerator, _numerator);
        Weight += received;
        return result;
    }
}
