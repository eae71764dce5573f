using FedMesh.Node.Merge;

namespace FedMesh.Node.Tests.Merge;

public sealed class RobustAggregatorTests
{
    [Fact]
    public void Nan_inf_wrong_length_and_bad_weights_are_rejected_with_reasons_before_aggregation()
    {
        float[] nan = [1f, 2f, 3f, 4f];
        nan[2] = float.NaN;
        var longInf = new float[40];
        longInf[37] = float.PositiveInfinity;
        var agg = new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean });
        var dst = new float[4];
        AggregationResult result = agg.Aggregate(
        [
            new DeltaInput(new float[] { 1f, 1f, 1f, 1f }, 1, "a"),
            new DeltaInput(nan, 1, "b"),
            new DeltaInput(new float[] { 1f, 2f, 3f }, 1, "c"),
            new DeltaInput(new float[] { 3f, 3f, 3f, 3f }, 1, "d"),
            new DeltaInput(new float[] { 9f, 9f, 9f, 9f }, 0, "e"),
            new DeltaInput(new float[] { 9f, 9f, 9f, 9f }, double.NaN, "f"),
        ], dst);

        Assert.Equal([2f, 2f, 2f, 2f], dst);
        Assert.Equal(2, result.AcceptedCount);
        Assert.Equal(2.0, result.Outcomes[0].DistanceToAggregate, 6);
        Assert.Equal(2.0, result.Outcomes[3].DistanceToAggregate, 6);
        Assert.Equal(RejectionReason.NonFinite, result.Outcomes[1].Rejection);
        Assert.Contains("index 2", result.Outcomes[1].Detail, StringComparison.Ordinal);
        Assert.Equal(RejectionReason.WrongLength, result.Outcomes[2].Rejection);
        Assert.Contains("3 values", result.Outcomes[2].Detail, StringComparison.Ordinal);
        Assert.Equal(RejectionReason.BadWeight, result.Outcomes[4].Rejection);
        Assert.Equal(RejectionReason.BadWeight, result.Outcomes[5].Rejection);
        Assert.Equal("b", result.Outcomes[1].Source);

        Assert.Equal(37, DeltaValidator.IndexOfNonFinite(longInf));
        longInf[37] = 0f;
        longInf[5] = float.NegativeInfinity;
        Assert.Equal(5, DeltaValidator.IndexOfNonFinite(longInf));
        longInf[5] = float.MaxValue;
        Assert.Equal(-1, DeltaValidator.IndexOfNonFinite(longInf));
    }

    [Fact]
    public void Nothing_accepted_leaves_the_destination_untouched()
    {
        var agg = new RobustAggregator(AggregatorOptions.Default);
        float[] dst = [7f, 7f];
        AggregationResult result = agg.Aggregate([new DeltaInput(new float[] { float.NaN, 0f })], dst);
        Assert.False(result.HasAggregate);
        Assert.Equal([7f, 7f], dst);
    }

    [Fact]
    public void Norm_bounding_scales_only_deltas_above_the_bound_and_does_not_modify_inputs()
    {
        float[] big = [30f, 40f];
        float[] small = [0.3f, 0.4f];
        var agg = new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, NormBound = 5 });
        var dst = new float[2];
        AggregationResult result = agg.Aggregate([new DeltaInput(big), new DeltaInput(small)], dst);
        Assert.Equal(0.1f, result.Outcomes[0].NormScale, 6);
        Assert.Equal(1f, result.Outcomes[1].NormScale);
        Assert.Equal([30f, 40f], big);
        Assert.Equal(1.65f, dst[0], 5);
        Assert.Equal(2.2f, dst[1], 5);

        float[] inPlace = [6f, 8f];
        Assert.Equal(0.5f, NormBounding.Apply(inPlace, 5));
        Assert.Equal([3f, 4f], inPlace);
        Assert.Equal(1f, NormBounding.Apply(inPlace, 0));
    }

    [Fact]
    public void Outcomes_report_krum_selection_and_distances_in_input_order()
    {
        var agg = new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.MultiKrum, KrumByzantine = 1, KrumSelect = 3 });
        var dst = new float[1];
        AggregationResult result = agg.Aggregate(
        [
            new DeltaInput(new float[] { 0f }, 1, "p0"),
            new DeltaInput(new float[] { float.NaN }, 1, "bad"),
            new DeltaInput(new float[] { 1f }, 1, "p1"),
            new DeltaInput(new float[] { 2f }, 1, "p2"),
            new DeltaInput(new float[] { 3f }, 1, "p3"),
            new DeltaInput(new float[] { 50f }, 1, "p4"),
        ], dst);
        Assert.Equal(1f, dst[0]);
        Assert.Equal([true, false, true, true, false, false], result.Outcomes.Select(o => o.Selected));
        Assert.Equal(49.0, result.Outcomes[5].DistanceToAggregate, 6);
        Assert.True(double.IsNaN(result.Outcomes[1].DistanceToAggregate));
    }

    [Fact]
    public void Outcomes_report_clip_factors_for_centered_clipping()
    {
        var agg = new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.CenteredClipping, ClipRadius = 1, ClipIterations = 1 });
        var dst = new float[2];
        AggregationResult result = agg.Aggregate([new DeltaInput(new float[] { 3f, 4f }), new DeltaInput(new float[] { 0.5f, 0f })], dst);
        Assert.Equal(AggregationRule.CenteredClipping, result.Rule);
        Assert.Equal(0.2, result.Outcomes[0].ClipFactor, 6);
        Assert.Equal(1.0, result.Outcomes[1].ClipFactor);
    }

    [Theory]
    [InlineData(AggregationRule.GeometricMedian)]
    [InlineData(AggregationRule.CenteredClipping)]
    [InlineData(AggregationRule.Median)]
    public void Reported_distances_are_the_distances_to_the_returned_aggregate(AggregationRule rule)
    {
        float[][] rows = TestDeltas.Random(9, 300, seed: 17);
        var dst = new float[300];
        AggregationResult result = new RobustAggregator(AggregatorOptions.Default with { Rule = rule })
            .Aggregate(rows.Select(r => new DeltaInput(r)).ToArray(), dst);
        double[] aggregate = dst.Select(v => (double)v).ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(TestDeltas.Distance(rows[i], aggregate), result.Outcomes[i].DistanceToAggregate, 4);
        }
    }

    [Theory]
    [InlineData("mean", AggregationRule.Mean)]
    [InlineData("Trimmed_Mean", AggregationRule.TrimmedMean)]
    [InlineData(" multi_krum ", AggregationRule.MultiKrum)]
    [InlineData("geometric_median", AggregationRule.GeometricMedian)]
    [InlineData("centered_clipping", AggregationRule.CenteredClipping)]
    [InlineData("median", AggregationRule.Median)]
    public void Rules_are_selected_by_config_name(string name, AggregationRule expected)
    {
        Assert.Equal(expected, AggregationRuleNames.Parse(name));
        Assert.Equal(expected, AggregationRuleNames.Parse(expected.ToName()));
    }

    [Fact]
    public void Unknown_rule_names_and_bad_options_give_errors_naming_the_setting()
    {
        Assert.False(AggregationRuleNames.TryParse("krum2", out _, out string error));
        Assert.Contains("'krum2'", error, StringComparison.Ordinal);
        Assert.Contains("trimmed_mean", error, StringComparison.Ordinal);
        var ex = Assert.Throws<ArgumentException>(() => new RobustAggregator(AggregatorOptions.Default with { TrimFraction = 0.5 }));
        Assert.Contains("merge.trim_fraction", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RobustAggregator(AggregatorOptions.Default with { NormBound = double.NaN }));
        Assert.Throws<ArgumentException>(() => new RobustAggregator(AggregatorOptions.Default with { MaxDegreeOfParallelism = 0 }));
    }

    [Fact]
    public void Default_rule_is_the_robust_geometric_median()
    {
        Assert.Equal(AggregationRule.GeometricMedian, AggregatorOptions.Default.Rule);
    }
}
