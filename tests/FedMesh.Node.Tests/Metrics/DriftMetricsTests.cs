using FedMesh.Node.Mesh;
using FedMesh.Node.Metrics;
using FedMesh.Node.Reputation;
using FedMesh.Node.Tests.Mesh;
using FedMesh.Protocol.Identity;
using NSec.Cryptography;
using Xunit;

namespace FedMesh.Node.Tests.Metrics;

/// <summary>Issue 17: what an operator watches for drift, measured on rounds whose every number is known exactly.</summary>
public sealed class DriftMetricsTests
{
    private const int D = CoordinatorKit.D;

    [Fact]
    public void An_adopted_merge_reports_the_distance_to_the_adopted_state_the_peer_divergence_and_the_update_norm()
    {
        // Own state after training: 0.1 per coordinate (update norm 0.1·√64 = 0.8); the peer's 0.3 per coordinate
        // (divergence 0.2·8 = 1.6); the mean adopted is 0.2 per coordinate (drift 0.1·8 = 0.8).
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        // Flood mode: the plain mean of own and peer state (neighbours mode's mixing weights would favour the own state).
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(learner, MeshOptions.Default with { PrivacyEnabled = false, Mode = FedMesh.Node.Gossip.GossipMode.Flood });
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(0.3f, D).ToArray();
        coordinator.Offer(CoordinatorKit.Stored(peer, state), state);

        RoundReport report = coordinator.RunRound(CancellationToken.None);
        var metrics = new NodeMetrics();
        metrics.RecordRound(report);

        Assert.True(report.Adopted);
        Assert.Equal(0.8, metrics.DriftDistance.Value, 1e-5);
        Assert.Equal(0.8, metrics.UpdateNorm.Value, 1e-5);
        string peerId = PeerId.FromPublicKey(peer.PublicKey.Export(KeyBlobFormat.RawPublicKey)).Value;
        Assert.Equal(1.6, metrics.PeerDivergence.WithLabels(peerId).Value, 1e-5);
        Assert.Equal(0, metrics.GateEvaluations.Value);
        Assert.Equal(0, metrics.ReleasesRefused.Value);
    }

    [Fact]
    public void A_gate_rejection_counts_keeps_drift_at_zero_and_reports_the_bpc_gap_of_the_refused_candidate()
    {
        // The gate's held-out loss is the mean coordinate: own 0.1, candidate (mean with a peer at 0.9) 0.5 nats per
        // byte, far beyond the default margin, so the node keeps its own state.
        using var learner = new CoordinatorKit.StepLearner(0.1f);
        var reputation = new ReputationTracker(ReputationOptions.Default with { InitialTrust = 1 });
        var gate = new ValidationGate(ValidationGateOptions.Default, adapter => System.Numerics.Tensors.TensorPrimitives.Sum(adapter) / adapter.Length, reputation);
        RoundCoordinator coordinator = CoordinatorKit.NewCoordinator(
            learner, MeshOptions.Default with { PrivacyEnabled = false, PeerDistanceBound = 1e6, Mode = FedMesh.Node.Gossip.GossipMode.Flood }, reputation: reputation, gate: gate);
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(0.9f, D).ToArray();
        coordinator.Offer(CoordinatorKit.Stored(peer, state), state);

        RoundReport report = coordinator.RunRound(CancellationToken.None);
        var metrics = new NodeMetrics();
        metrics.RecordRound(report);

        Assert.False(report.Adopted);
        Assert.Equal(1, metrics.GateEvaluations.Value);
        Assert.Equal(1, metrics.GateRejections.Value);
        Assert.Equal(0, metrics.DriftDistance.Value);
        Assert.Equal((0.5 - 0.1) / Math.Log(2), metrics.DriftBpcGap.Value, 1e-5);
    }

    [Fact]
    public async Task Peer_divergence_keeps_one_series_per_origin_of_the_last_merge()
    {
        var metrics = new NodeMetrics();
        metrics.RecordRound(new RoundReport { Round = 1, TrainLoss = 1, PeerDivergence = [new("peer-a", 1.0), new("peer-b", 2.0)] });
        metrics.RecordRound(new RoundReport { Round = 2, TrainLoss = 1, PeerDivergence = [new("peer-b", 3.0), new("peer-c", 4.0)] });

        string text = await ExportAsync(metrics);
        Assert.DoesNotContain("peer=\"peer-a\"", text, StringComparison.Ordinal);
        Assert.Contains("fedmesh_peer_divergence{peer=\"peer-b\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("fedmesh_peer_divergence{peer=\"peer-c\"} 4", text, StringComparison.Ordinal);

        // A round that merged nothing leaves no series.
        metrics.RecordRound(new RoundReport { Round = 3, TrainLoss = 1 });
        Assert.DoesNotContain("fedmesh_peer_divergence{", await ExportAsync(metrics), StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync(NodeMetrics metrics)
    {
        using var buffer = new MemoryStream();
        await metrics.ExportAsync(buffer, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Fact]
    public void A_merge_that_scored_no_reputation_is_counted()
    {
        var metrics = new NodeMetrics();
        metrics.RecordRound(new RoundReport { Round = 1, TrainLoss = 1, Bounded = 3, ReputationUnscored = true });
        metrics.RecordRound(new RoundReport { Round = 2, TrainLoss = 1, Bounded = 1 });

        Assert.Equal(1, metrics.ReputationUnscoredRounds.Value);
    }

    [Fact]
    public void A_refused_release_is_counted()
    {
        var metrics = new NodeMetrics();
        metrics.RecordRound(new RoundReport { Round = 1, TrainLoss = double.NaN, NotReleasedReason = "budget exhausted" });
        metrics.RecordRound(new RoundReport { Round = 2, TrainLoss = 1 });

        Assert.Equal(1, metrics.ReleasesRefused.Value);
    }

    [Fact]
    public async Task The_node_exports_build_info_process_and_runtime_metrics()
    {
        var metrics = new NodeMetrics();
        using var buffer = new MemoryStream();
        await metrics.ExportAsync(buffer, CancellationToken.None);
        string text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());

        (string version, string commit, string runtime) = BuildInfo.Current;
        Assert.Contains($"fedmesh_build_info{{version=\"{version}\",commit=\"{commit}\",runtime=\"{runtime}\"}} 1", text, StringComparison.Ordinal);
        Assert.Matches("\\.NET \\d+", runtime);
        IReadOnlySet<string> names = await metrics.ExportedNamesAsync(CancellationToken.None);
        Assert.Contains("process_cpu_seconds_total", names);
        Assert.Contains("process_working_set_bytes", names);
        Assert.Contains("dotnet_collection_count_total", names);
        Assert.Contains("fedmesh_merge_seconds_bucket", names);
    }

    [Theory]
    [InlineData("1.2.3+0123456789abcdef0123456789abcdef01234567", "1.2.3", "0123456789ab")]
    [InlineData("1.2.3", "1.2.3", BuildInfo.UnknownCommit)]
    [InlineData(null, "0.0.0", BuildInfo.UnknownCommit)]
    [InlineData("2.0.0-rc.1+local-build", "2.0.0-rc.1", "local-build")]
    public void Build_info_splits_the_informational_version(string? informational, string version, string commit)
    {
        (string v, string c, string r) = BuildInfo.Parse(informational, ".NET 10.0.0");
        Assert.Equal(version, v);
        Assert.Equal(commit, c);
        Assert.Equal(".NET 10.0.0", r);
    }
}
