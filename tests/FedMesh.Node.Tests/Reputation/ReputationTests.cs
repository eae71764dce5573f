using FedMesh.Node.Reputation;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Reputation;

public sealed class ReputationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-reputation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static PeerId Peer(byte n)
    {
        var key = new byte[PeerId.PublicKeyLength];
        key[0] = n;
        return PeerId.FromPublicKey(key);
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Distance_score_is_full_within_tolerance_and_decays_beyond()
    {
        Assert.Equal(1, TrustMath.DistanceScore(1.4, 1.0, 1.5));
        Assert.Equal(Math.Exp(-1), TrustMath.DistanceScore(2.5, 1.0, 1.5), 12);
        Assert.True(TrustMath.DistanceScore(10, 1.0, 1.5) < 1e-3);
        Assert.Equal(0, TrustMath.DistanceScore(double.NaN, 1.0, 1.5));
        Assert.Equal(0, TrustMath.DistanceScore(1, 0, 1.5));
    }

    [Fact]
    public void Weight_is_zero_below_the_threshold_linear_then_full()
    {
        Assert.Equal(0, TrustMath.Weight(0.29, 0.3, 0.7));
        Assert.Equal(0.5, TrustMath.Weight(0.5, 0.3, 0.7), 12);
        Assert.Equal(1, TrustMath.Weight(0.9, 0.3, 0.7));
    }

    [Fact]
    public void A_consistently_bad_peer_is_first_down_weighted_then_ignored()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        PeerId bad = Peer(1);
        PeerId good = Peer(2);
        for (int round = 0; round < 30; round++)
        {
            tracker.RecordDistance(good, 1.0, 1.0);
        }

        Assert.Equal(1, tracker.GetWeight(good));
        var weights = new List<double>();
        for (int round = 0; round < 30; round++)
        {
            tracker.RecordDistance(bad, 8.0, 1.0);
            tracker.RecordDistance(good, 0.9, 1.0);
            weights.Add(tracker.GetWeight(bad));
        }

        Assert.Contains(weights, w => w is > 0 and < 1);
        Assert.True(tracker.IsIgnored(bad));
        Assert.Equal(0, weights[^1]);
        Assert.Equal(1, tracker.GetWeight(good));
        // Monotone: a consistently bad peer never regains weight.
        for (int i = 1; i < weights.Count; i++)
        {
            Assert.True(weights[i] <= weights[i - 1]);
        }
    }

    [Fact]
    public void Round_scores_distances_against_the_round_median()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        // Distances 1, 1.2, 0.8, 9: median 1.1; the outlier is ~8× the median, the others within tolerance.
        tracker.RecordRound([new(Peer(1), 1.0), new(Peer(2), 1.2), new(Peer(3), 0.8), new(Peer(4), 9.0)]);

        double initial = ReputationOptions.Default.InitialTrust;
        Assert.True(tracker.GetTrust(Peer(1)) > initial);
        Assert.True(tracker.GetTrust(Peer(3)) > initial);
        Assert.True(tracker.GetTrust(Peer(4)) < initial);
        Assert.Equal(1.1, TrustMath.Median([1.0, 1.2, 0.8, 9.0]), 12);
        Assert.Equal(2, TrustMath.Median([3.0, 1.0, 2.0]));
    }

    [Fact]
    public void A_wrongly_penalised_good_peer_recovers_full_weight()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        PeerId peer = Peer(3);
        for (int i = 0; i < 8; i++)
        {
            tracker.RecordRejected(peer);
        }

        Assert.True(tracker.IsIgnored(peer));
        for (int i = 0; i < 30; i++)
        {
            tracker.RecordDistance(peer, 1.0, 1.0);
        }

        Assert.False(tracker.IsIgnored(peer));
        Assert.Equal(1, tracker.GetWeight(peer));
    }

    [Fact]
    public void One_transport_fault_costs_one_bad_observation_and_leaves_a_new_peer_above_the_ignore_threshold()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        PeerId peer = Peer(4);
        tracker.RecordTransportFault(peer);
        Assert.Equal(0.45, tracker.GetTrust(peer), 12);
        Assert.False(tracker.IsIgnored(peer));
        Assert.Equal(1, tracker.Snapshot().Single().SignatureFailures);

        // Persistent faults still sink it: 0.5 · 0.9⁵ ≈ 0.295 < 0.3.
        for (int i = 0; i < 4; i++)
        {
            tracker.RecordTransportFault(peer);
        }

        Assert.True(tracker.IsIgnored(peer));
    }

    [Fact]
    public void Table_is_bounded_and_evicts_the_least_recently_seen_peer()
    {
        var time = new ManualTime();
        var tracker = new ReputationTracker(ReputationOptions.Default with { MaxPeers = 3 }, time);
        for (byte i = 1; i <= 3; i++)
        {
            tracker.RecordDistance(Peer(i), 1, 1);
            time.Now = time.Now.AddMinutes(1);
        }

        tracker.RecordDistance(Peer(1), 1, 1);
        tracker.RecordDistance(Peer(9), 1, 1);

        Assert.Equal(3, tracker.Count);
        Assert.DoesNotContain(tracker.Snapshot(), p => p.Peer == Peer(2));
        Assert.Contains(tracker.Snapshot(), p => p.Peer == Peer(9));
    }

    [Fact]
    public void Saved_table_loads_back_identically()
    {
        var time = new ManualTime();
        var tracker = new ReputationTracker(ReputationOptions.Default, time);
        tracker.RecordDistance(Peer(1), 5, 1);
        tracker.RecordRejected(Peer(2));
        tracker.RecordGateRejection(Peer(3));
        tracker.RecordTransportFault(Peer(3));
        string path = Path.Combine(_dir, ReputationTracker.FileName);

        tracker.Save(path);
        ReputationTracker loaded = ReputationTracker.Load(path, ReputationOptions.Default, time);

        Assert.Equal(tracker.Snapshot(), loaded.Snapshot());
    }

    [Fact]
    public void Loading_a_damaged_file_names_the_problem()
    {
        string path = Path.Combine(_dir, ReputationTracker.FileName);
        File.WriteAllText(path, """{"version":1,"peers":[{"id":"not-a-peer","trust":0.5}]}""");
        var ex = Assert.Throws<InvalidDataException>(() => ReputationTracker.Load(path, ReputationOptions.Default));
        Assert.Contains("peers[0].id", ex.Message, StringComparison.Ordinal);

        File.WriteAllText(path, $$"""{"version":1,"peers":[{"id":"{{Peer(1)}}","trust":7}]}""");
        ex = Assert.Throws<InvalidDataException>(() => ReputationTracker.Load(path, ReputationOptions.Default));
        Assert.Contains("peers[0].trust", ex.Message, StringComparison.Ordinal);

        File.WriteAllText(path, "{ truncated");
        Assert.Throws<InvalidDataException>(() => ReputationTracker.Load(path, ReputationOptions.Default));
    }

    [Fact]
    public void Options_validation_names_the_key()
    {
        IReadOnlyList<string> errors = (ReputationOptions.Default with { Decay = 0, IgnoreBelow = 0.9, UnscoredMemoryRounds = -1 }).Validate();
        Assert.Contains(errors, e => e.Contains("reputation.decay", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("reputation.full_weight_above", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("reputation.unscored_memory_rounds", StringComparison.Ordinal));
        Assert.Empty(ReputationOptions.Default.Validate());
    }

    [Theory]
    [InlineData(0, 5, true)]
    [InlineData(4, 5, true)]
    [InlineData(5, 5, false)]
    [InlineData(long.MaxValue, 5, false)]
    [InlineData(0, 0, false)]
    public void Unscored_evidence_lasts_the_configured_number_of_merges(long mergesSinceUnscored, int memoryRounds, bool suspects) =>
        Assert.Equal(suspects, ReputationTracker.SuspectsFromUnscored(mergesSinceUnscored, memoryRounds));

    [Fact]
    public void A_node_that_ignores_nobody_is_under_attack_for_the_memory_after_an_unscored_merge()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default with { UnscoredMemoryRounds = 2 });
        Assert.False(tracker.UnderAttack());
        tracker.RecordMergeEvidence(scored: true);
        Assert.False(tracker.UnderAttack());

        tracker.RecordMergeEvidence(scored: false);
        Assert.True(tracker.UnderAttack());
        Assert.False(tracker.IgnoresAny());
        tracker.RecordMergeEvidence(scored: true);
        Assert.True(tracker.UnderAttack());
        tracker.RecordMergeEvidence(scored: true);
        Assert.False(tracker.UnderAttack());
    }

    [Fact]
    public void An_ignored_peer_is_evidence_of_attack_without_any_unscored_merge()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        tracker.RecordMergeEvidence(scored: true);
        for (int i = 0; i < 5; i++)
        {
            tracker.RecordRejected(Peer(1));
        }

        Assert.True(tracker.IgnoresAny());
        Assert.True(tracker.UnderAttack());
    }

    [Fact]
    public void With_the_memory_off_an_unscored_merge_is_no_evidence()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default with { UnscoredMemoryRounds = 0 });
        tracker.RecordMergeEvidence(scored: false);
        Assert.False(tracker.UnderAttack());
    }
}
