namespace FedMesh.Node.Membership;

/// <summary>
/// φ accrual failure detector for one peer: feed it <see cref="Heartbeat"/> whenever a ping/pong or message
/// arrives, ask <see cref="Phi"/> or <see cref="IsSuspected"/> at any time. Thread-safe; time from the injected
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class PhiAccrualDetector
{
    private readonly PhiAccrualOptions _options;
    private readonly TimeProvider _time;
    /// <summary>
    /// Samples a new detector holds before its window first grows. A detector lives as long as one session, and most
    /// sessions hear only a few frames (netsim's scale-1000: 1.4 sessions opened per node-round); a full window of
    /// 100 doubles (824 B) for each was ~1.4 % of what a simulated node allocated. 8 covers the two seed samples
    /// and a handful of frames; the window then doubles up to <see cref="PhiAccrualOptions.WindowSize"/>.
    /// </summary>
    private const int InitialCapacity = 8;

    /// <summary>The ring of inter-arrival samples (<see cref="_next"/> and <see cref="_count"/> run modulo the window
    /// size). Until the window is full it only fills at its end (<see cref="_next"/> = <see cref="_count"/>), so
    /// growing it keeps every sample where it was: φ is the same as with a full-size array from the start.</summary>
    private double[] _intervals;
    private readonly Lock _lock = new();
    private int _count;
    private int _next;
    private long? _lastTimestamp;

    /// <summary>The window's mean and σ as <see cref="Phi"/> last computed them; valid until the next heartbeat changes
    /// the window. φ is asked for every session at every upkeep tick (membership's suspicion check) and most ticks
    /// hear no new sample, so the same statistics were recomputed over up to <see cref="PhiAccrualOptions.WindowSize"/>
    /// samples each time (φ's checks were 1.4 % of a 1,000-node netsim run's CPU samples).</summary>
    private (double Mean, double StdDev)? _stats;

    public PhiAccrualDetector(TimeProvider time, PhiAccrualOptions? options = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options ?? PhiAccrualOptions.Default;
        if (_options.WindowSize < 1 || !(_options.Threshold > 0) || _options.MinStdDev <= TimeSpan.Zero)
        {
            throw new ArgumentException("phi accrual options need WindowSize ≥ 1, Threshold > 0 and MinStdDev > 0", nameof(options));
        }

        _intervals = new double[Math.Min(InitialCapacity, _options.WindowSize)];
    }

    /// <summary>Number of inter-arrival samples currently in the window.</summary>
    public int SampleCount
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Records a heartbeat at the current time.</summary>
    public void Heartbeat()
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_lastTimestamp is { } last)
            {
                double interval = _time.GetElapsedTime(last, now).TotalMilliseconds;
                if (_next == _intervals.Length)
                {
                    // Not full yet (a full window wraps _next to 0 first): grow, keeping the samples in place.
                    Array.Resize(ref _intervals, Math.Min(2 * _intervals.Length, _options.WindowSize));
                }

                _intervals[_next] = interval;
                _next = (_next + 1) % _options.WindowSize;
                _count = Math.Min(_count + 1, _options.WindowSize);
            }
            else
            {
                // Seed the window with the expected interval (mean = estimate, σ = estimate/4 through two samples
                // at estimate ± σ) so that φ is meaningful before the second heartbeat, as Akka does.
                double estimate = _options.FirstHeartbeatEstimate.TotalMilliseconds;
                double sigma = estimate / 4;
                _intervals[0] = estimate - sigma;
                _count = 1;
                _next = 1 % _options.WindowSize;
                if (_options.WindowSize > 1)
                {
                    _intervals[1] = estimate + sigma;
                    _count = 2;
                    _next = 2 % _options.WindowSize;
                }
            }

            _lastTimestamp = now;
            _stats = null;
        }
    }

    /// <summary>φ now; 0 before the first heartbeat (nothing is known, nothing is suspected).</summary>
    public double Phi()
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_lastTimestamp is not { } last)
            {
                return 0;
            }

            _stats ??= PhiAccrual.MeanAndStdDev(_intervals.AsSpan(0, _count), _options.MinStdDev.TotalMilliseconds);
            var (mean, stdDev) = _stats.Value;
            double elapsed = _time.GetElapsedTime(last, now).TotalMilliseconds;
            return PhiAccrual.Phi(elapsed, mean + _options.AcceptablePause.TotalMilliseconds, stdDev);
        }
    }

    public bool IsSuspected() => Phi() >= _options.Threshold;
}
