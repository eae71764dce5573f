using FedMesh.Node.Membership;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Membership;

public sealed class RateLimitTests
{
    [Theory]
    [InlineData(0, 5, 10, 1, 5)]
    [InlineData(8, 5, 10, 1, 10)]
    [InlineData(2, 5, 10, 0.5, 4.5)]
    [InlineData(3, 5, 10, -1, 3)]
    public void Refill_adds_rate_times_elapsed_up_to_capacity(double tokens, double rate, double capacity, double elapsed, double expected)
    {
        Assert.Equal(expected, TokenBucket.Refill(tokens, rate, capacity, elapsed), 9);
    }

    [Fact]
    public void Seconds_until_available_is_the_deficit_over_the_rate()
    {
        Assert.Equal(0, TokenBucket.SecondsUntilAvailable(5, 2, 10, 3));
        Assert.Equal(1.5, TokenBucket.SecondsUntilAvailable(1, 2, 10, 4), 9);
        Assert.True(double.IsPositiveInfinity(TokenBucket.SecondsUntilAvailable(10, 2, 10, 11)));
    }

    [Fact]
    public void Bucket_allows_a_burst_then_the_sustained_rate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(ratePerSecond: 5, capacity: 10, time);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(bucket.TryTake());
        }

        Assert.False(bucket.TryTake());
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.TimeUntilAvailable());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, bucket.Available, 9);
        time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(10, bucket.Available, 9);
        Assert.False(bucket.TryTake(11));
        Assert.Equal(10, bucket.Available, 9);
    }

    [Fact]
    public void Connection_slots_cap_directions_per_address_and_duplicate_peers()
    {
        var slots = new ConnectionSlots(new ConnectionLimitOptions { MaxInbound = 3, MaxOutbound = 1, MaxInboundPerAddress = 2 });
        var a = System.Net.IPAddress.Parse("192.0.2.1");
        var b = System.Net.IPAddress.Parse("192.0.2.2");
        using var out1 = slots.TryAcquire(ConnectionDirection.Outbound, a, out _);
        Assert.NotNull(out1);
        Assert.Null(slots.TryAcquire(ConnectionDirection.Outbound, b, out string reason));
        Assert.Contains("outbound", reason, StringComparison.Ordinal);
        var in1 = slots.TryAcquire(ConnectionDirection.Inbound, a, out _);
        var in2 = slots.TryAcquire(ConnectionDirection.Inbound, System.Net.IPAddress.Parse("::ffff:192.0.2.1"), out _);
        Assert.NotNull(in1);
        Assert.NotNull(in2);
        Assert.Null(slots.TryAcquire(ConnectionDirection.Inbound, a, out reason));
        Assert.Contains("per address", reason, StringComparison.Ordinal);
        var in3 = slots.TryAcquire(ConnectionDirection.Inbound, b, out _);
        Assert.NotNull(in3);
        Assert.Null(slots.TryAcquire(ConnectionDirection.Inbound, System.Net.IPAddress.Parse("192.0.2.3"), out _));

        Assert.True(in1!.TryBindPeer(TestIds.Id(1)));
        Assert.False(in3!.TryBindPeer(TestIds.Id(1)));
        in1.Dispose();
        in1.Dispose(); // idempotent
        Assert.Equal(2, slots.Inbound);
        Assert.True(in3.TryBindPeer(TestIds.Id(1)));
        Assert.NotNull(slots.TryAcquire(ConnectionDirection.Inbound, a, out _));
    }

    [Fact]
    public void A_disposed_lease_cannot_claim_a_peer_and_frees_its_claim()
    {
        var slots = new ConnectionSlots();
        var address = System.Net.IPAddress.Parse("192.0.2.1");
        var first = slots.TryAcquire(ConnectionDirection.Outbound, address, out _)!;
        first.Dispose();
        Assert.False(first.TryBindPeer(TestIds.Id(1)));
        using var second = slots.TryAcquire(ConnectionDirection.Outbound, address, out _)!;
        Assert.True(second.TryBindPeer(TestIds.Id(1)));
        Assert.True(second.TryBindPeer(TestIds.Id(1))); // same peer again: still ours
        Assert.False(second.TryBindPeer(TestIds.Id(2)));
        Assert.Equal(1, slots.Outbound);
    }
}
