using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Protocol;
using FedMesh.Protocol.Deltas;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace FedMesh.Node.Tests.Mesh;

/// <summary>Issue 11: a manifest's signed but arbitrary <c>timestamp_ms</c> is bounded before it is used as a time.</summary>
public class ManifestTimestampTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>10000-01-01T00:00:00Z in Unix ms: the first instant DateTimeOffset cannot hold.</summary>
    private const ulong Year10000Ms = 253_402_300_800_000;

    public static TheoryData<string, ulong> BadTimestamps => new()
    {
        { "past year 9999", Year10000Ms + 1 },
        { "u64 max", ulong.MaxValue },
        { "one hour ahead", (ulong)T0.AddHours(1).ToUnixTimeMilliseconds() },
    };

    [Theory]
    [MemberData(nameof(BadTimestamps))]
    public void A_validly_signed_state_dated_beyond_the_clock_skew_is_refused_with_a_reason_and_rounds_go_on(string what, ulong timestampMs)
    {
        var time = new FakeTimeProvider(T0);
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator c = CoordinatorKit.NewCoordinator(learner, Options, time);
        using Key bad = CoordinatorKit.NewKey();
        using Key good = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(1f, CoordinatorKit.D).ToArray();

        string? refused = c.Offer(CoordinatorKit.SignedAt(bad, state, timestampMs, time.GetUtcNow()), state);

        Assert.NotNull(refused);
        Assert.Contains("BadTimestamp", refused, StringComparison.Ordinal);
        Assert.Contains("clock skew", refused, StringComparison.Ordinal);
        Assert.Equal(0, c.InboxCount);

        // The node's rounds keep running and still merge honest peers.
        Assert.Null(c.Offer(CoordinatorKit.Stored(good, state, time.GetUtcNow()), state));
        time.Advance(Period);
        RoundReport report = c.RunRound(CancellationToken.None);
        Assert.True(report.Merged == 1, what);
        time.Advance(Period);
        Assert.Equal(2, c.RunRound(CancellationToken.None).Round);
    }

    [Fact]
    public void A_state_older_than_the_staleness_horizon_is_refused()
    {
        var time = new FakeTimeProvider(T0);
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator c = CoordinatorKit.NewCoordinator(learner, Options, time);
        using Key peer = CoordinatorKit.NewKey();
        float[] state = new float[CoordinatorKit.D];
        ulong old = (ulong)(T0 - Options.StalenessHorizon - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds();

        string? refused = c.Offer(CoordinatorKit.SignedAt(peer, state, old, T0), state);

        Assert.NotNull(refused);
        Assert.Contains("staleness horizon", refused, StringComparison.Ordinal);
        Assert.Equal(0, c.InboxCount);
    }

    [Fact]
    public void A_state_dated_ahead_within_the_skew_ages_from_its_arrival_and_is_evicted_not_kept_at_full_weight()
    {
        var time = new FakeTimeProvider(T0);
        using var learner = new CoordinatorKit.StepLearner(0f);
        RoundCoordinator c = CoordinatorKit.NewCoordinator(learner, Options, time);
        using Key peer = CoordinatorKit.NewKey();
        float[] state = Enumerable.Repeat(1f, CoordinatorKit.D).ToArray();
        ulong ahead = (ulong)T0.AddMinutes(9).ToUnixTimeMilliseconds();

        Assert.Null(c.Offer(CoordinatorKit.SignedAt(peer, state, ahead, T0), state));

        // Ten rounds later it is 10 periods old (counted from arrival): beyond max age 8, dropped. Clamped to age 0
        // (the old behaviour) it would still be merged at full weight, its timestamp being 8 minutes ahead.
        var reports = new List<RoundReport>();
        for (int i = 0; i < 10; i++)
        {
            time.Advance(Period);
            reports.Add(c.RunRound(CancellationToken.None));
        }

        Assert.Equal(0, reports[^1].Merged);
        Assert.Contains(reports.SelectMany(r => r.Decisions), d => !d.Merged && d.Reason.StartsWith("stale", StringComparison.Ordinal));
        Assert.Equal(0, c.InboxCount);
    }

    [Fact]
    public void Manifest_clock_bounds_are_exact_at_the_edges()
    {
        DateTimeOffset now = T0;
        TimeSpan horizon = TimeSpan.FromMinutes(30);
        ulong nowMs = (ulong)now.ToUnixTimeMilliseconds();
        ulong skewMs = (ulong)ManifestClock.MaxClockSkew.TotalMilliseconds;

        Assert.Equal(now + ManifestClock.MaxClockSkew, ManifestClock.Check(nowMs + skewMs, now, horizon));
        Assert.Equal(now - horizon, ManifestClock.Check(nowMs - (ulong)horizon.TotalMilliseconds, now, horizon));
        Assert.Equal(ProtocolErrorCode.BadTimestamp, Assert.Throws<ProtocolException>(() => ManifestClock.Check(nowMs + skewMs + 1, now, horizon)).Code);
        Assert.Equal(ProtocolErrorCode.BadTimestamp, Assert.Throws<ProtocolException>(() => ManifestClock.Check(nowMs - (ulong)horizon.TotalMilliseconds - 1, now, horizon)).Code);
        Assert.Equal(ProtocolErrorCode.BadTimestamp, Assert.Throws<ProtocolException>(() => ManifestClock.Check(ulong.MaxValue, now, horizon)).Code);
    }

    private static MeshOptions Options => MeshOptions.Default with { PrivacyEnabled = false, RoundPeriod = Period, PeerDistanceBound = 1e6 };
}
