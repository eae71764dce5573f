using System.Net;
using System.Text;
using FedMesh.Node.Hosting;
using FedMesh.Node.Hosting.Internal;
using FedMesh.Node.Mesh;
using FedMesh.Node.Metrics;
using FedMesh.Node.Reputation;
using FedMesh.Node.Tests.Membership;
using FedMesh.Node.Tests.Mesh;
using FedMesh.Protocol.Identity;
using Xunit;

namespace FedMesh.Node.Tests.Metrics;

/// <summary>The per-peer trust gauge follows the reputation tracker: one series per tracked peer, whatever the number of
/// peers a node meets over its life, read when the metrics are collected (a scrape or an export), not every round.</summary>
public sealed class TrustMetricsTests
{
    [Fact]
    public async Task A_scrape_publishes_each_tracked_peers_trust_and_drops_the_series_of_an_evicted_peer()
    {
        using var identity = NodeIdentity.Create();
        var reputation = new ReputationTracker(ReputationOptions.Default with { MaxPeers = 2 });
        (NodeMetrics metrics, NodeTelemetry telemetry) = Telemetry(identity, reputation);
        var round = new RoundReport { Round = 1, TrainLoss = double.NaN };

        reputation.RecordRejected(TestIds.Id(1));
        reputation.RecordRejected(TestIds.Id(2));
        telemetry.RoundDone(round, heldOutBpc: null);
        string first = await ExportAsync(metrics);
        Assert.Equal(reputation.GetTrust(TestIds.Id(1)), metrics.Trust.WithLabels(TestIds.Id(1).Value).Value);
        Assert.Contains(TestIds.Id(2).Value, first, StringComparison.Ordinal);

        // A third peer evicts the least recently seen one (peer 1) from the tracker, and with it its series.
        reputation.RecordTransportFault(TestIds.Id(3));
        telemetry.RoundDone(round with { Round = 2 }, heldOutBpc: null);
        string second = await ExportAsync(metrics);
        Assert.DoesNotContain(TestIds.Id(1).Value, second, StringComparison.Ordinal);
        Assert.Contains(TestIds.Id(2).Value, second, StringComparison.Ordinal);
        Assert.Contains(TestIds.Id(3).Value, second, StringComparison.Ordinal);
        Assert.Equal(reputation.GetTrust(TestIds.Id(3)), metrics.Trust.WithLabels(TestIds.Id(3).Value).Value);

        // A changed trust is published at the next scrape, with or without a round in between: the gauge is not
        // written by the round (a round alone leaves the value the last scrape set).
        double before = metrics.Trust.WithLabels(TestIds.Id(2).Value).Value;
        reputation.RecordRejected(TestIds.Id(2));
        telemetry.RoundDone(round with { Round = 3 }, heldOutBpc: null);
        Assert.Equal(before, metrics.Trust.WithLabels(TestIds.Id(2).Value).Value);
        Assert.NotEqual(before, reputation.GetTrust(TestIds.Id(2)));
        await ExportAsync(metrics);
        Assert.Equal(reputation.GetTrust(TestIds.Id(2)), metrics.Trust.WithLabels(TestIds.Id(2).Value).Value);
        reputation.RecordRejected(TestIds.Id(2));
        await ExportAsync(metrics);
        Assert.Equal(reputation.GetTrust(TestIds.Id(2)), metrics.Trust.WithLabels(TestIds.Id(2).Value).Value);
    }

    [Fact]
    public void A_round_without_a_scrape_exports_no_trust_series()
    {
        using var identity = NodeIdentity.Create();
        var reputation = new ReputationTracker(ReputationOptions.Default);
        (NodeMetrics metrics, NodeTelemetry telemetry) = Telemetry(identity, reputation);

        reputation.RecordRejected(TestIds.Id(1));
        telemetry.RoundDone(new RoundReport { Round = 1, TrainLoss = double.NaN }, heldOutBpc: null);

        // No series is made until something collects the registry: the per-round cost does not grow with the
        // number of tracked peers.
        Assert.Empty(metrics.Trust.GetAllLabelValues());
    }

    /// <summary>A node's telemetry and metrics over <paramref name="reputation"/>, nothing else of a node.</summary>
    private static (NodeMetrics Metrics, NodeTelemetry Telemetry) Telemetry(NodeIdentity identity, ReputationTracker reputation)
    {
        var parts = new NodeParts
        {
            Identity = identity,
            Mesh = CoordinatorKit.Mesh,
            MeshName = "trust-metrics-test",
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Reputation = reputation,
        };
        var metrics = new NodeMetrics();
        return (metrics, new NodeTelemetry(parts, metrics));
    }

    private static async Task<string> ExportAsync(NodeMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.ExportAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
