using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Merge;

/// <summary>
/// The configured rule behind <see cref="IAggregator"/>: rejects unusable deltas with reasons, bounds norms, runs
/// the <see cref="Aggregation"/> function named by <see cref="AggregatorOptions.Rule"/>, and reports per-delta
/// outcomes (selection, clip factor, distance to the aggregate) for reputation.
/// </summary>
public sealed class RobustAggregator : IAggregator
{
    private readonly ILogger _logger;

    public RobustAggregator(AggregatorOptions options, ILogger<RobustAggregator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public AggregatorOptions Options { get; }

    public AggregationResult Aggregate(IReadOnlyList<DeltaInput> inputs, Span<float> destination, ReadOnlySpan<float> center = default, double fallbackClipRadius = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int d = destination.Length;
        var outcomes = new DeltaOutcome[inputs.Count];
        var accepted = new List<int>(inputs.Count);
        var rows = new List<ReadOnlyMemory<float>>(inputs.Count);
        var weights = new List<float>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            DeltaInput input = inputs[i];
            (RejectionReason reason, string detail) = DeltaValidator.Check(input.Values.Span, input.Weight, d);
            if (reason == RejectionReason.None && !float.IsNormal((float)input.Weight))
            {
                (reason, detail) = (RejectionReason.BadWeight, $"weight {input.Weight} is outside the float range");
            }

            if (reason != RejectionReason.None)
            {
                Log.DeltaRejected(_logger, i, input.Source ?? "?", reason, detail);
                outcomes[i] = new DeltaOutcome { Index = i, Source = input.Source, Rejection = reason, Detail = detail };
                continue;
            }

            ReadOnlyMemory<float> values = input.Values;
            float scale = NormBounding.ScaleFor(values.Span, Options.NormBound);
            if (scale < 1f)
            {
                // Copy-on-bound: inputs are read-only (they may be the receive buffers of the gossip layer).
                float[] bounded = values.ToArray();
                NormBounding.Apply(bounded, Options.NormBound);
                values = bounded;
                Log.DeltaNormBounded(_logger, i, input.Source ?? "?", scale);
            }

            outcomes[i] = new DeltaOutcome { Index = i, Source = input.Source, NormScale = scale, Selected = true };
            accepted.Add(i);
            rows.Add(values);
            weights.Add((float)input.Weight);
        }

        if (accepted.Count == 0)
        {
            Log.NothingToAggregate(_logger, inputs.Count);
            return new AggregationResult { Rule = Options.Rule, Outcomes = outcomes };
        }

        if (!center.IsEmpty && center.Length != d)
        {
            throw new ArgumentException($"center has {center.Length} floats, the aggregate {d}", nameof(center));
        }

        double[] distances = [];
        RuleReport report;
        if (Options.Rule == AggregationRule.Mean && Options.ReportDistances)
        {
            // The mean measures distances in its own pass.
            distances = Aggregation.WeightedMeanWithDistances(rows, weights.ToArray(), destination, Options.MaxDegreeOfParallelism).Select(Math.Sqrt).ToArray();
            report = RuleReport.None;
        }
        else
        {
            report = Run(rows, weights.ToArray(), destination, center, fallbackClipRadius);
            if (Options.ReportDistances)
            {
                // Iterative rules measured them in their last pass; the others need one more read.
                distances = report.Distances.Count == rows.Count
                    ? report.Distances.ToArray()
                    : Aggregation.SquaredDistances(rows, destination, Options.MaxDegreeOfParallelism).Select(Math.Sqrt).ToArray();
            }
        }

        for (int a = 0; a < accepted.Count; a++)
        {
            int i = accepted[a];
            outcomes[i] = outcomes[i] with
            {
                Selected = report.Selected.Count == 0 || report.Selected[a],
                ClipFactor = report.ClipFactors.Count == 0 ? 1.0 : report.ClipFactors[a],
                DistanceToAggregate = distances.Length == 0 ? double.NaN : distances[a],
            };
        }

        Log.Aggregated(_logger, accepted.Count, inputs.Count, d, Options.Rule.ToName());
        return new AggregationResult { Rule = Options.Rule, Outcomes = outcomes, Report = report };
    }

    private RuleReport Run(List<ReadOnlyMemory<float>> rows, float[] weights, Span<float> destination, ReadOnlySpan<float> center, double fallbackClipRadius)
    {
        AggregatorOptions o = Options;
        int dop = o.MaxDegreeOfParallelism;
        switch (o.Rule)
        {
            case AggregationRule.Mean:
                Aggregation.WeightedMean(rows, weights, destination, dop);
                return RuleReport.None;
            case AggregationRule.Median:
                Aggregation.CoordinateMedian(rows, weights, destination, dop);
                return RuleReport.None;
            case AggregationRule.TrimmedMean:
                Aggregation.TrimmedMean(rows, weights, o.TrimFraction, destination, dop);
                return RuleReport.None;
            case AggregationRule.MultiKrum:
                return Aggregation.MultiKrum(rows, weights, o.KrumByzantine, o.KrumSelect, destination, dop);
            case AggregationRule.GeometricMedian:
                return Aggregation.GeometricMedian(rows, weights, destination, o.GeometricMaxIterations, o.GeometricTolerance, o.GeometricSmoothing, dop);
            case AggregationRule.CenteredClipping:
                return Aggregation.CenteredClipping(rows, weights, center, o.ClipRadius, o.ClipIterations, destination, dop, fallbackClipRadius);
            default:
                throw new InvalidOperationException($"unhandled rule {o.Rule}");
        }
    }
}
