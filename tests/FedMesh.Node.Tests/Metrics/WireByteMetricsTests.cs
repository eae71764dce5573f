using FedMesh.Node.Metrics;
using Xunit;

namespace FedMesh.Node.Tests.Metrics;

/// <summary>The wire-byte counters are running totals that the Prometheus counters take at each collection (a counter
/// increment per frame was, with the totals, 1.9 % of a 1,000-node netsim run's CPU samples).</summary>
public sealed class WireByteMetricsTests
{
    [Fact]
    public async Task Every_scrape_exports_the_bytes_counted_since_start()
    {
        var metrics = new NodeMetrics();
        metrics.CountBytesIn(100);
        metrics.CountBytesIn(23);
        metrics.CountBytesOut(7);
        Assert.Equal(123, metrics.BytesInTotal);
        Assert.Equal(7, metrics.BytesOutTotal);

        Assert.Contains("fedmesh_bytes_received_total 123\n", await ScrapeAsync(metrics));
        metrics.CountBytesOut(5);
        string second = await ScrapeAsync(metrics);
        Assert.Contains("fedmesh_bytes_received_total 123\n", second);
        Assert.Contains("fedmesh_bytes_sent_total 12\n", second);
        Assert.Equal(12, metrics.BytesOut.Value);
    }

    private static async Task<string> ScrapeAsync(NodeMetrics metrics)
    {
        using var buffer = new MemoryStream();
        await metrics.ExportAsync(buffer, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
