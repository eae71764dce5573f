using FedMesh.Node.Membership;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Membership;

public sealed class PhiAccrualTests
{
    // Hand-computed: φ = −log10(½·erfc(k/√2)) at t = μ + kσ, from the standard normal tail
    // Q(0) = 0.5, Q(1) = 0.158655, Q(2) = 0.0227501, Q(3) = 0.00134990, Q(5) = 2.86652e-7.
    [Theory]
    [InlineData(0.0, 0.301030)]
    [InlineData(1.0, 0.799546)]
    [InlineData(2.0, 1.643016)]
    [InlineData(3.0, 2.869699)]
    [InlineData(5.0, 6.542646)]
    public void Phi_matches_hand_computed_normal_tail_values(double sigmas, double expected)
    {
        double phi = PhiAccrual.Phi(elapsed: 1000 + (sigmas * 100), mean: 1000, stdDev: 100);
        Assert.Equal(expected, phi, 4);
    }

    [Fact]
    public void Phi_stays_finite_and_growing_for_very_long_silences()
    {
        double at50 = PhiAccrual.Phi(1000 + (50 * 100), 1000, 100);
        double at500 = PhiAccrual.Phi(1000 + (500 * 100), 1000, 100);
        Assert.True(double.IsFinite(at500));
        Assert.True(at500 > at50 && at50 > 500, $"φ(50σ) = {at50}, φ(500σ) = {at500}");
    }

    [Fact]
    public void Phi_of_an_early_heartbeat_is_below_the_median_value()
    {
        Assert.True(PhiAccrual.Phi(500, 1000, 100) < 0.0001);
    }

    [Fact]
    public void Mean_and_std_dev_are_floored_at_the_minimum()
    {
        var (mean, sd) = PhiAccrual.MeanAndStdDev([1000, 1000, 1000], minStdDev: 100);
        Assert.Equal(1000, mean);
        Assert.Equal(100, sd);
        (mean, sd) = PhiAccrual.MeanAndStdDev([900, 1100], minStdDev: 1);
        Assert.Equal(1000, mean);
        Assert.Equal(100, sd, 9);
    }

    [Fact]
    public void Detector_phi_matches_hand_computed_value_for_known_intervals()
    {
        var time = new FakeTimeProvider();
        var options = new PhiAccrualOptions { WindowSize = 2, AcceptablePause = TimeSpan.Zero, MinStdDev = TimeSpan.FromMilliseconds(1) };
        var detector = new PhiAccrualDetector(time, options);
        detector.Heartbeat();
        time.Advance(TimeSpan.FromMilliseconds(900));
        detector.Heartbeat();
        time.Advance(TimeSpan.FromMilliseconds(1100));
        detector.Heartbeat();
        // Window now holds 900 and 1100 ms: μ = 1000, σ = 100. One σ late:
        time.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.Equal(0.799546, detector.Phi(), 4);
    }

    [Fact]
    public void Detector_suspects_a_silent_peer_but_not_a_regular_one()
    {
        var time = new FakeTimeProvider();
        var regular = new PhiAccrualDetector(time);
        var silent = new PhiAccrualDetector(time);
        var random = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            regular.Heartbeat();
            if (i < 20)
            {
                silent.Heartbeat();
            }

            // 1 s heartbeats with ±100 ms jitter; check φ just before the next one is due.
            time.Advance(TimeSpan.FromMilliseconds(900 + random.Next(200)));
            Assert.False(regular.IsSuspected(), $"regular peer suspected at beat {i}, φ = {regular.Phi()}");
        }

        Assert.True(silent.IsSuspected(), $"silent for 40 s but φ = {silent.Phi()}");
    }

    /// <summary>The window's mean and σ are kept between heartbeats (φ is asked every upkeep tick): a detector asked
    /// after every step must give, at each step, exactly the φ of a twin asked only then, and a heartbeat must renew
    /// the statistics (the twin's φ after a much longer interval differs from the one before it).</summary>
    [Fact]
    public void Phi_asked_between_heartbeats_is_exactly_the_phi_of_a_detector_asked_once()
    {
        var time = new FakeTimeProvider();
        var asked = new PhiAccrualDetector(time);
        var random = new Random(5);
        var intervals = new List<int>();
        for (int i = 0; i < 30; i++)
        {
            asked.Heartbeat();
            // Multiples of 3 ms, so a third of an interval is a whole number of ticks on both clocks.
            intervals.Add(i == 20 ? 30_000 : 3 * (270 + random.Next(130)));
            for (int k = 0; k < 3; k++)
            {
                time.Advance(TimeSpan.FromMilliseconds(intervals[^1] / 3));
                double phi = asked.Phi();

                // The twin: same heartbeats on its own clock, asked only now.
                var twinTime = new FakeTimeProvider();
                var twin = new PhiAccrualDetector(twinTime);
                for (int j = 0; j < intervals.Count; j++)
                {
                    twin.Heartbeat();
                    twinTime.Advance(TimeSpan.FromMilliseconds(intervals[j] / 3 * (j == intervals.Count - 1 ? k + 1 : 3)));
                }

                Assert.Equal(twin.Phi(), phi);
            }
        }
    }

    [Fact]
    public void Detector_reports_zero_before_any_heartbeat()
    {
        var time = new FakeTimeProvider();
        var detector = new PhiAccrualDetector(time);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, detector.Phi());
        Assert.False(detector.IsSuspected());
    }

    /// <summary>The detector's window starts small and grows (most sessions hear a few frames); φ must be the one of
    /// the last WindowSize intervals at every step, across each growth and after the ring wraps.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(100)]
    public void Growing_window_gives_the_phi_of_the_last_window_size_intervals(int windowSize)
    {
        var time = new FakeTimeProvider();
        var options = new PhiAccrualOptions { WindowSize = windowSize, AcceptablePause = TimeSpan.Zero, MinStdDev = TimeSpan.FromMilliseconds(1) };
        var detector = new PhiAccrualDetector(time, options);
        var random = new Random(11);
        double estimate = options.FirstHeartbeatEstimate.TotalMilliseconds;
        var intervals = new List<double> { estimate - (estimate / 4), estimate + (estimate / 4) };
        intervals.RemoveRange(Math.Min(windowSize, 2), 2 - Math.Min(windowSize, 2));
        detector.Heartbeat();
        time.Advance(TimeSpan.FromMilliseconds(700));
        for (int beat = 0; beat < 250; beat++)
        {
            // 700 ms after the last heartbeat φ is checked, then the next one comes after 0 to 1,000 ms more.
            int ms = 700 + random.Next(1000);
            time.Advance(TimeSpan.FromMilliseconds(ms - 700));
            detector.Heartbeat();
            intervals.Add(ms);
            time.Advance(TimeSpan.FromMilliseconds(700));
            double[] window = [.. intervals.TakeLast(windowSize)];
            var (mean, sd) = PhiAccrual.MeanAndStdDev(window, options.MinStdDev.TotalMilliseconds);
            // 9 places: once the ring wraps, its samples are summed in another order than this list's.
            Assert.Equal(PhiAccrual.Phi(700, mean, sd), detector.Phi(), 9);
        }
    }
}
