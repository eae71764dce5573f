namespace FedMesh.Node.Membership;

/// <summary>
/// Capped exponential backoff with jitter, after Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture
/// Blog, 2015). Jitter spreads the reconnect attempts of many nodes that lost the same peer at once, so they do not
/// hammer it in lock-step. Pure functions: the caller passes the (seeded) random source.
/// </summary>
public static class Backoff
{
    /// <summary>Un-jittered capped exponential: min(cap, base · 2^attempt). Attempt 0 is the first retry.</summary>
    public static TimeSpan Exponential(TimeSpan baseDelay, TimeSpan cap, int attempt)
    {
        Validate(baseDelay, cap);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        // 2^attempt overflows a double's useful range long after it has passed any sane cap; clamp the exponent
        // so that the product stays finite (2^62 · 1 tick already exceeds TimeSpan.MaxValue).
        double factor = Math.Pow(2, Math.Min(attempt, 62));
        double ticks = Math.Min(cap.Ticks, baseDelay.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>"Full jitter": sleep = random_between(0, min(cap, base · 2^attempt)).</summary>
    public static TimeSpan FullJitter(TimeSpan baseDelay, TimeSpan cap, int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        TimeSpan ceiling = Exponential(baseDelay, cap, attempt);
        return TimeSpan.FromTicks((long)(random.NextDouble() * ceiling.Ticks));
    }

    /// <summary>
    /// "Decorrelated jitter": sleep = min(cap, random_between(base, previous · 3)); the first call passes
    /// <paramref name="previous"/> = base. Grows like the exponential on average but depends on the last draw,
    /// not on an attempt counter.
    /// </summary>
    public static TimeSpan DecorrelatedJitter(TimeSpan baseDelay, TimeSpan cap, TimeSpan previous, Random random)
    {
        Validate(baseDelay, cap);
        ArgumentNullException.ThrowIfNull(random);
        // The factor 3 is Brooker's; it keeps the expected growth near ×2 per attempt (mean of U(b, 3p) ≈ 1.5p…2p).
        double upper = Math.Max(baseDelay.Ticks, previous.Ticks * 3.0);
        double ticks = baseDelay.Ticks + random.NextDouble() * (upper - baseDelay.Ticks);
        return TimeSpan.FromTicks((long)Math.Min(cap.Ticks, ticks));
    }

    private static void Validate(TimeSpan baseDelay, TimeSpan cap)
    {
        if (baseDelay <= TimeSpan.Zero || cap < baseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(cap), $"backoff needs 0 < base ≤ cap, got base {baseDelay} and cap {cap}");
        }
    }
}
