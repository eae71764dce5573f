using FedMesh.Node.Metrics.Internal;
using Prometheus;
using Xunit;

namespace FedMesh.Node.Tests.Metrics;

/// <summary>The per-peer gauges' one home (trust, divergence): each replace publishes exactly its values.</summary>
public sealed class LabelledGaugeSeriesTests
{
    [Fact]
    public void A_replace_sets_the_new_values_and_removes_the_labels_it_does_not_name()
    {
        Gauge gauge = NewGauge();
        var series = new LabelledGaugeSeries(gauge);

        series.Replace([new("a", 1), new("b", 2)]);
        Assert.Equal(["a", "b"], Labels(gauge));
        Assert.Equal(2, gauge.WithLabels("b").Value);

        series.Replace([new("b", 3), new("c", 4)]);
        Assert.Equal(["b", "c"], Labels(gauge));
        Assert.Equal(3, gauge.WithLabels("b").Value);
        Assert.Equal(4, gauge.WithLabels("c").Value);
        Assert.Equal(2, series.Count);

        series.Replace([]);
        Assert.Empty(Labels(gauge));
        Assert.Equal(0, series.Count);
    }

    [Fact]
    public void A_dictionary_is_published_under_the_labels_of_its_keys()
    {
        Gauge gauge = NewGauge();
        var series = new LabelledGaugeSeries(gauge);

        series.Replace(new Dictionary<int, double> { [1] = 0.5, [2] = 0.7 }, static k => $"peer{k}");
        Assert.Equal(["peer1", "peer2"], Labels(gauge));
        series.Replace(new Dictionary<int, double> { [2] = 0.9 }, static k => $"peer{k}");
        Assert.Equal(["peer2"], Labels(gauge));
        Assert.Equal(0.9, gauge.WithLabels("peer2").Value);
    }

    [Fact]
    public void A_label_named_twice_keeps_its_last_value_and_a_returning_label_is_set_again()
    {
        Gauge gauge = NewGauge();
        var series = new LabelledGaugeSeries(gauge);

        series.Replace([new("a", 1), new("a", 5)]);
        Assert.Equal(5, gauge.WithLabels("a").Value);
        Assert.Equal(1, series.Count);

        // Dropped, then back with the value it had: its series was removed, so it must be published again.
        series.Replace([new("b", 1)]);
        series.Replace([new("a", 5), new("b", double.NaN)]);
        Assert.Equal(["a", "b"], Labels(gauge));
        Assert.Equal(5, gauge.WithLabels("a").Value);
        Assert.True(double.IsNaN(gauge.WithLabels("b").Value));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void After_every_replace_of_random_labels_the_gauge_holds_exactly_that_replace(int seed)
    {
        // Labels come, stay, go and come back; values repeat (not set again), change, or are NaN.
        Gauge gauge = NewGauge();
        var series = new LabelledGaugeSeries(gauge);
        var random = new Random(seed);
        for (int step = 0; step < 300; step++)
        {
            var values = new List<KeyValuePair<string, double>>();
            for (int i = 0; i < 12; i++)
            {
                if (random.Next(3) != 0)
                {
                    values.Add(new($"p{i}", random.Next(5) == 0 ? double.NaN : random.Next(3)));
                }
            }

            series.Replace(values);
            Dictionary<string, double> expected = values.ToDictionary(v => v.Key, v => v.Value);
            Assert.Equal([.. expected.Keys.Order(StringComparer.Ordinal)], Labels(gauge));
            Assert.Equal(expected.Count, series.Count);
            foreach ((string label, double value) in expected)
            {
                Assert.Equal(value, gauge.WithLabels(label).Value);
            }
        }
    }

    private static Gauge NewGauge() =>
        Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry())
            .CreateGauge("test_gauge", "test", new GaugeConfiguration { LabelNames = ["peer"] });

    private static string[] Labels(Gauge gauge) => [.. gauge.GetAllLabelValues().Select(v => v[0]).Order(StringComparer.Ordinal)];
}
