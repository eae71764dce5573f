using System.Net;
using FedMesh.Node.Hosting;
using FedMesh.Node.Merge;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Node.Tests.Storage;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>What a node does with a privacy ledger whose last records were cut off: learn, but release nothing.</summary>
public sealed class TruncatedLedgerTests
{
    [Fact]
    public async Task A_node_whose_ledger_lost_its_last_record_releases_nothing_and_says_why()
    {
        using var temp = new TempDir();
        string path = temp.Combine("privacy.ledger");
        PrivacyOptions options = PrivacyOptions.Default with { BudgetEpsilon = 1e6 };
        using (PrivacyLedger ledger = PrivacyLedger.Open(path, options))
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.True(ledger.ReserveRelease(options.DefaultRelease).Granted);
            }
        }

        File.WriteAllLines(path, File.ReadAllLines(path)[..^1]);
        using PrivacyLedger truncated = PrivacyLedger.Open(path, options);
        var learner = new CoordinatorKit.StepLearner(0.01f);
        var rounds = new RoundCoordinator(
            learner,
            new RobustAggregator(AggregatorOptions.Default with { Rule = AggregationRule.Mean, MaxDegreeOfParallelism = 1 }),
            new ReputationTracker(ReputationOptions.Default),
            gate: null,
            new LocalDpMechanism(options, GaussianNoiseSource.CreateSecure()),
            truncated,
            CoordinatorKit.NewKey(),
            CoordinatorKit.Mesh,
            TimeProvider.System,
            MeshOptions.Default with { PrivacyEnabled = true });

        RoundReport report = rounds.RunRound(CancellationToken.None);

        Assert.Null(report.Released);
        Assert.Contains("the last 1 record(s) were removed", report.NotReleasedReason, StringComparison.Ordinal);
        Assert.Contains("--acknowledge-truncation", report.NotReleasedReason, StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(path).Length);

        using var identity = NodeIdentity.Create();
        await using var node = new NodeRuntime(
            new NodeParts
            {
                Identity = identity,
                Mesh = CoordinatorKit.Mesh,
                MeshName = "coordinator-test",
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Ledger = truncated,
            },
            NullLoggerFactory.Instance);
        PrivacyStatus status = node.GetStatus().Privacy;
        Assert.Equal("truncated", status.State);
        Assert.Contains("Releases are refused until an operator acts", status.Reason, StringComparison.Ordinal);
    }
}
