using FedMesh.Node.Membership;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Membership;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);

    [Fact]
    public void Exponential_doubles_from_base_and_stops_at_cap()
    {
        double[] seconds = [.. Enumerable.Range(0, 8).Select(a => Backoff.Exponential(Base, Cap, a).TotalSeconds)];
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], seconds);
        Assert.Equal(Cap, Backoff.Exponential(Base, Cap, 100_000));
    }

    [Fact]
    public void Full_jitter_stays_within_zero_and_the_exponential_and_is_uniform()
    {
        var random = new Random(42);
        const int Draws = 20_000;
        int[] quarters = new int[4];
        double sum = 0;
        for (int i = 0; i < Draws; i++)
        {
            double s = Backoff.FullJitter(Base, Cap, attempt: 3, random).TotalSeconds;
            Assert.InRange(s, 0, 8);
            quarters[Math.Min(3, (int)(s / 2))]++;
            sum += s;
        }

        // Uniform on [0, 8): mean 4, a quarter of the draws in each 2 s bucket (±1.5 % is > 5σ for 20k draws).
        Assert.InRange(sum / Draws, 3.9, 4.1);
        Assert.All(quarters, q => Assert.InRange(q / (double)Draws, 0.235, 0.265));
    }

    [Fact]
    public void Decorrelated_jitter_stays_between_base_and_three_times_previous_and_under_cap()
    {
        var random = new Random(1);
        TimeSpan previous = Base;
        bool reachedCap = false;
        for (int i = 0; i < 1000; i++)
        {
            TimeSpan next = Backoff.DecorrelatedJitter(Base, Cap, previous, random);
            Assert.InRange(next, Base, TimeSpan.FromTicks(Math.Min(Cap.Ticks, previous.Ticks * 3)));
            reachedCap |= next > Cap * 0.9;
            previous = next;
        }

        Assert.True(reachedCap, "decorrelated jitter should grow towards the cap");
    }

    [Fact]
    public void Jitter_is_reproducible_with_the_same_seed()
    {
        double[] a = [.. Enumerable.Range(0, 10).Select(i => Backoff.FullJitter(Base, Cap, i, new Random(9)).TotalMilliseconds)];
        double[] b = [.. Enumerable.Range(0, 10).Select(i => Backoff.FullJitter(Base, Cap, i, new Random(9)).TotalMilliseconds)];
        Assert.Equal(a, b);
    }

    [Fact]
    public void Invalid_base_or_cap_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Exponential(TimeSpan.Zero, Cap, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Exponential(Cap, Base, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Exponential(Base, Cap, -1));
    }

    [Fact]
    public void Reconnect_scheduler_waits_after_failures_and_resets_on_success()
    {
        var time = new FakeTimeProvider();
        var scheduler = new ReconnectScheduler(time, new Random(3), new ReconnectOptions { Decorrelated = false });
        Assert.True(scheduler.IsDue);
        TimeSpan first = scheduler.OnFailure();
        Assert.InRange(first, TimeSpan.Zero, Base);
        for (int i = 0; i < 10; i++)
        {
            scheduler.OnFailure();
        }

        Assert.Equal(11, scheduler.Failures);
        Assert.InRange(scheduler.NextAttemptAt - time.GetUtcNow(), TimeSpan.Zero, ReconnectOptions.Default.MaxDelay);
        time.Advance(ReconnectOptions.Default.MaxDelay);
        Assert.True(scheduler.IsDue);
        scheduler.OnSuccess();
        Assert.Equal(0, scheduler.Failures);
        Assert.True(scheduler.IsDue);
    }
}
