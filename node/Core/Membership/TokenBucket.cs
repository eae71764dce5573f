namespace FedMesh.Node.Membership;

/// <summary>
/// A token bucket (Turner 1986; the classic traffic-shaping algorithm): tokens accrue at <c>rate</c> per second up
/// to <c>capacity</c>, each admitted unit spends one. Capacity bounds the burst, rate the sustained throughput.
/// The refill math is pure and static; an instance keeps one bucket's state on an injected <see cref="TimeProvider"/>.
/// Thread-safe.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastTimestamp;

    /// <param name="ratePerSecond">Sustained tokens per second (&gt; 0).</param>
    /// <param name="capacity">Burst size (&gt; 0); the bucket starts full so a new peer can send its first burst at once.</param>
    public TokenBucket(double ratePerSecond, double capacity, TimeProvider time)
    {
        if (!(ratePerSecond > 0) || !(capacity > 0) || double.IsInfinity(ratePerSecond) || double.IsInfinity(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), $"token bucket needs finite rate > 0 and capacity > 0, got {ratePerSecond}/s and {capacity}");
        }

        _time = time ?? throw new ArgumentNullException(nameof(time));
        RatePerSecond = ratePerSecond;
        Capacity = capacity;
        _tokens = capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    public double RatePerSecond { get; }

    public double Capacity { get; }

    /// <summary>Tokens after a refill of <paramref name="elapsedSeconds"/>: min(capacity, tokens + rate·elapsed).</summary>
    public static double Refill(double tokens, double ratePerSecond, double capacity, double elapsedSeconds) =>
        Math.Min(capacity, tokens + ratePerSecond * Math.Max(0, elapsedSeconds));

    /// <summary>Seconds until <paramref name="cost"/> tokens are available (0 if they are); ∞ if cost exceeds capacity.</summary>
    public static double SecondsUntilAvailable(double tokens, double ratePerSecond, double capacity, double cost)
    {
        if (cost > capacity)
        {
            return double.PositiveInfinity;
        }

        return tokens >= cost ? 0 : (cost - tokens) / ratePerSecond;
    }

    /// <summary>Tokens available now.</summary>
    public double Available
    {
        get
        {
            lock (_lock)
            {
                RefillNow();
                return _tokens;
            }
        }
    }

    /// <summary>Spends <paramref name="cost"/> tokens if available; otherwise spends nothing and returns false.</summary>
    public bool TryTake(double cost = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        lock (_lock)
        {
            RefillNow();
            if (_tokens < cost)
            {
                return false;
            }

            _tokens -= cost;
            return true;
        }
    }

    /// <summary>How long a caller must wait before <paramref name="cost"/> tokens can be taken.</summary>
    public TimeSpan TimeUntilAvailable(double cost = 1)
    {
        lock (_lock)
        {
            RefillNow();
            double seconds = SecondsUntilAvailable(_tokens, RatePerSecond, Capacity, cost);
            return double.IsPositiveInfinity(seconds) ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
        }
    }

    private void RefillNow()
    {
        long now = _time.GetTimestamp();
        _tokens = Refill(_tokens, RatePerSecond, Capacity, _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds);
        _lastTimestamp = now;
    }
}
