namespace FedMesh.Node.Membership;

/// <summary>
/// Per-peer reconnect state: after each failed attempt <see cref="OnFailure"/> returns the time of the next
/// attempt; <see cref="OnSuccess"/> resets it. Not thread-safe (one owner per peer, e.g. the dialer loop).
/// </summary>
public sealed class ReconnectScheduler
{
    private readonly ReconnectOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private TimeSpan _previous;

    public ReconnectScheduler(TimeProvider time, Random random, ReconnectOptions? options = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _options = options ?? ReconnectOptions.Default;
        _previous = _options.BaseDelay;
    }

    /// <summary>Consecutive failures since the last success.</summary>
    public int Failures { get; private set; }

    /// <summary>When the next attempt is due (UTC); <see cref="DateTimeOffset.MinValue"/> means now.</summary>
    public DateTimeOffset NextAttemptAt { get; private set; } = DateTimeOffset.MinValue;

    public bool IsDue => _time.GetUtcNow() >= NextAttemptAt;

    /// <summary>Records a failed attempt and returns the delay until the next one.</summary>
    public TimeSpan OnFailure()
    {
        TimeSpan delay = _options.Decorrelated
            ? Backoff.DecorrelatedJitter(_options.BaseDelay, _options.MaxDelay, _previous, _random)
            : Backoff.FullJitter(_options.BaseDelay, _options.MaxDelay, Failures, _random);
        _previous = delay;
        Failures++;
        NextAttemptAt = _time.GetUtcNow() + delay;
        return delay;
    }

    public void OnSuccess()
    {
        Failures = 0;
        _previous = _options.BaseDelay;
        NextAttemptAt = DateTimeOffset.MinValue;
    }
}
