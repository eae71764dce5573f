using System.Net;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Tests.Storage;
using FedMesh.Protocol.Transport;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Membership;

public class AdmissionTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void Handshakes_in_progress_are_capped_per_address_until_marked_established()
    {
        var slots = new ConnectionSlots(new ConnectionLimitOptions { MaxInbound = 10, MaxInboundPerAddress = 10, MaxHandshakesPerAddress = 2 });
        ConnectionSlots.Lease first = slots.TryAcquire(ConnectionDirection.Inbound, A, out _)!;
        ConnectionSlots.Lease second = slots.TryAcquire(ConnectionDirection.Inbound, IPAddress.Parse("::ffff:192.0.2.1"), out _)!;
        Assert.Null(slots.TryAcquire(ConnectionDirection.Inbound, A, out string reason));
        Assert.Contains("handshakes in progress", reason, StringComparison.Ordinal);
        Assert.NotNull(slots.TryAcquire(ConnectionDirection.Inbound, B, out _));
        Assert.Equal(3, slots.InboundHandshakes);

        first.MarkEstablished();
        first.MarkEstablished(); // idempotent
        Assert.Equal(2, slots.InboundHandshakes);
        ConnectionSlots.Lease third = slots.TryAcquire(ConnectionDirection.Inbound, A, out _)!;
        Assert.NotNull(third);
        // An established lease still holds its slot; a disposed handshake frees both counts.
        Assert.Equal(4, slots.Inbound);
        second.Dispose();
        Assert.Equal(3, slots.Inbound);
        Assert.Equal(2, slots.InboundHandshakes);
        first.Dispose();
        Assert.Equal(2, slots.Inbound);
        Assert.Equal(2, slots.InboundHandshakes);
    }

    [Fact]
    public void The_node_splits_max_connections_into_inbound_and_outbound_slots_that_add_up()
    {
        ConnectionLimitOptions limits = NodeRuntime.ConnectionLimitsFor(64);
        Assert.Equal(16, limits.MaxOutbound);
        Assert.Equal(48, limits.MaxInbound);
        Assert.Equal(64, limits.MaxInbound + limits.MaxOutbound);
        ConnectionLimitOptions tiny = NodeRuntime.ConnectionLimitsFor(2);
        Assert.Equal((1, 1), (tiny.MaxOutbound, tiny.MaxInbound));
    }

    [Fact]
    public void Address_rate_limiter_allows_a_burst_then_the_sustained_rate_per_address()
    {
        var time = new FakeTimeProvider();
        var limiter = new AddressRateLimiter(time, new AddressRateOptions { PerSecond = 2, Burst = 3, MaxTrackedAddresses = 2 });
        Assert.True(limiter.TryAdmit(A) && limiter.TryAdmit(A) && limiter.TryAdmit(A));
        Assert.False(limiter.TryAdmit(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.True(limiter.TryAdmit(B));
        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(limiter.TryAdmit(A));
        Assert.False(limiter.TryAdmit(A));
        limiter.TryAdmit(IPAddress.Parse("192.0.2.3"));
        Assert.Equal(2, limiter.TrackedAddresses);
    }

    [Fact]
    public void Log_throttle_writes_the_first_line_per_key_then_one_per_interval_with_the_count_held_back()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var throttle = new LogThrottle(time, TimeSpan.FromMinutes(1), maxKeys: 2);
        Assert.True(throttle.ShouldLog("a", out int held));
        Assert.Equal(0, held);
        Assert.False(throttle.ShouldLog("a", out _));
        Assert.False(throttle.ShouldLog("a", out _));
        Assert.True(throttle.ShouldLog("b", out _));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.ShouldLog("a", out held));
        Assert.Equal(2, held);
    }

    [Theory]
    // Older than the crossed-dial window (10 s handshake time-out) and heard from 5 s ago: kept, whoever wins the tie-break.
    [InlineData(60, 5, true, DuplicateOutcome.KeepEstablished)]
    // Older and silent for longer than half the idle time-out (45 s): the newcomer replaces it.
    [InlineData(120, 50, false, DuplicateOutcome.ReplaceStale)]
    // Young (a crossed dial): the tie-break decides, as SPEC §9.8 says.
    [InlineData(1, 1, true, DuplicateOutcome.CrossedReplace)]
    [InlineData(1, 1, false, DuplicateOutcome.CrossedKeepEstablished)]
    public void Duplicate_rule_keeps_a_healthy_established_session_and_applies_the_tie_break_only_to_crossed_dials(
        double ageSeconds, double silentSeconds, bool newPrecedes, DuplicateOutcome expected)
    {
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddHours(1);
        Assert.Equal(expected, DuplicateRule.Decide(now, now.AddSeconds(-ageSeconds), now.AddSeconds(-silentSeconds), newPrecedes, ConnectionOptions.Default));
    }

    [Theory]
    // Different initiators (a crossed dial): the one the smaller id initiated wins, whatever the hashes.
    [InlineData(true, "ff", false, "00", true)]
    [InlineData(false, "00", true, "ff", false)]
    // The same initiator (two addresses dialled at once): the smaller transcript hash wins.
    [InlineData(true, "0a01", true, "0a02", true)]
    [InlineData(true, "0a02", true, "0a01", false)]
    [InlineData(false, "0a01", false, "0a02", true)]
    [InlineData(false, "0a02", false, "0a01", false)]
    // Equal hashes (the simulator's channel: all zeros) decide nothing; the established session stays.
    [InlineData(false, "0000", false, "0000", false)]
    public void Tie_break_takes_the_smaller_initiator_id_then_the_smaller_transcript_hash(
        bool aInitiatorSmaller, string aTranscript, bool bInitiatorSmaller, string bTranscript, bool aPrecedes)
    {
        byte[] a = Convert.FromHexString(aTranscript);
        byte[] b = Convert.FromHexString(bTranscript);
        Assert.Equal(aPrecedes, DuplicateRule.Precedes(aInitiatorSmaller, a, bInitiatorSmaller, b));
        // Both ends ask the question the other way round for the other connection: they agree on the survivor.
        bool bPrecedes = DuplicateRule.Precedes(bInitiatorSmaller, b, aInitiatorSmaller, a);
        Assert.False(aPrecedes && bPrecedes);
        Assert.True(aPrecedes || bPrecedes || a.AsSpan().SequenceEqual(b));
    }
}
