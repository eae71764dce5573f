using FedMesh.Node.Privacy.Internal;
using FedMesh.Node.Storage;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Privacy;

/// <summary>
/// The node's append-only privacy ledger: one checksummed line per release (see <c>Internal/LedgerCodec</c>),
/// fsync'd before <see cref="ReserveRelease"/> returns, so the spent budget is never under-counted — a release
/// is on disk before it can leave the node. ε is recomputed from the recorded parameters on every open with
/// <see cref="RdpAccountant"/> (improved conversion for enforcement, classic reported alongside).
/// Thread-safe. One writer per ledger file (an exclusive lock file beside it); readers may open it any time.
/// <para>Truncation at a record boundary (the last records deleted, the file emptied or deleted) leaves a valid,
/// shorter ledger that would under-count ε. The writer therefore keeps the ledger's head in an anchor file beside
/// it (<see cref="LogAnchor"/>: record count and hash of the last record), rewritten after every append has been
/// fsync'd. A ledger shorter than its anchor (or whose anchored record changed) opens in the
/// <see cref="PrivacyBudgetState.Truncated"/> state: every release is refused until an operator restores the
/// ledger from a backup or accepts a conservative charge for the missing records
/// (<see cref="AcknowledgeTruncation"/>, <c>fedmesh privacy --acknowledge-truncation</c>).</para>
/// </summary>
public sealed partial class PrivacyLedger : IDisposable
{
    /// <summary>Largest ledger accepted: ~300 bytes a record gives ~200 000 releases, decades of rounds.</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>Longest content id recorded (a hex SHA-256 is 64; room for a prefix).</summary>
    public const int MaxContentIdLength = 128;

    private readonly object _gate = new();
    private readonly string _path;
    private readonly LogAnchorFile? _anchorFile;
    private readonly PrivacyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileStream? _writer;
    private readonly FileStream? _lockFile;
    private readonly double[] _rdp = new double[RdpAccountant.DefaultOrders.Count];
    private readonly List<LedgerEntry> _entries = [];

    /// <summary>One-step RDP curves by (σ, q): a node uses one or two settings, and each curve costs ~33 000
    /// exp() calls, so opening a long ledger or checking every release would otherwise recompute them.</summary>
    private readonly Dictionary<(double Sigma, double Q), double[]> _stepRdp = [];
    private long _lastSequence;
    private long _releases;
    private long _tornCharges;
    private long _lostCharges;
    private string _lastLineHash = LogAnchor.EmptyHead;

    /// <summary>Why the ledger does not match its anchor (truncated, replaced, or an unreadable anchor); null when
    /// it does. While set, every release is refused.</summary>
    private string? _truncation;

    /// <summary>The anchor found at open (null when there was none or it was unreadable).</summary>
    private LogAnchor? _anchor;
    private GaussianRelease? _lastRelease;
    private bool _warned;
    private bool _faulted;

    private PrivacyLedger(string path, PrivacyOptions options, TimeProvider time, ILogger logger, FileStream? writer, FileStream? lockFile, LogAnchorFile? anchorFile)
    {
        _anchorFile = anchorFile;
        _lockFile = lockFile;
        _path = path;
        _options = options;
        _time = time;
        _logger = logger;
        _writer = writer;
    }

    /// <summary>Raised once when spent ε first reaches the warning fraction of the budget (also logged).</summary>
    public event Action<PrivacyBudgetStatus>? BudgetWarning;

    public string Path => _path;

    public PrivacyOptions Options => _options;

    /// <summary>True when opened by <see cref="OpenReadOnly"/> (reports only).</summary>
    public bool IsReadOnly => _writer is null;

    /// <summary>All records, oldest first.</summary>
    public IReadOnlyList<LedgerEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return _entries.ToArray();
            }
        }
    }

    /// <summary>Opens (creating if absent) the ledger for appending. A torn last record is charged and repaired.</summary>
    /// <exception cref="LedgerCorruptException">Damage before the last record.</exception>
    public static PrivacyLedger Open(string path, PrivacyOptions options, TimeProvider? time = null, ILogger? logger = null) =>
        OpenCore(path, options, time, logger, readOnly: false);

    /// <summary>Opens for reading (the `fedmesh privacy` report). A torn tail is charged in memory, not repaired.</summary>
    public static PrivacyLedger OpenReadOnly(string path, PrivacyOptions options, TimeProvider? time = null, ILogger? logger = null) =>
        OpenCore(path, options, time, logger, readOnly: true);

    /// <summary>
    /// Charges a release and makes the record durable (write + fsync) before returning Granted; only then may
    /// the caller send. Refuses, writing nothing, when the release would take ε past the budget.
    /// </summary>
    public ReleaseDecision ReserveRelease(GaussianRelease release, string? contentId = null)
    {
        if (release.Validate() is { } invalid)
        {
            throw new ArgumentException($"release parameters invalid: {invalid}", nameof(release));
        }

        if (contentId is not null && !IsValidContentId(contentId))
        {
            throw new ArgumentException($"content id must be 1..{MaxContentIdLength} characters of [A-Za-z0-9._:-]", nameof(contentId));
        }

        lock (_gate)
        {
            if (_writer is null)
            {
                throw new InvalidOperationException($"privacy ledger '{_path}' is open read-only");
            }

            if (_faulted)
            {
                return Refuse($"the privacy ledger '{_path}' failed to append earlier; reopen it before releasing");
            }

            if (_truncation is not null)
            {
                return Refuse(TruncationMessage());
            }

            LedgerRecord record = NextRecord(LedgerRecord.ReleaseKind, release) with { ContentId = contentId };
            if (record.EpsilonAfter > _options.BudgetEpsilon)
            {
                return Refuse($"privacy budget exhausted: this release would bring ε to {record.EpsilonAfter:F4}, over the budget {_options.BudgetEpsilon} at δ = {_options.BudgetDelta}");
            }

            try
            {
                AppendRecord(record, leadingTerminator: false);
            }
            catch (IOException ex)
            {
                // Part of the line may be on disk: it will be charged as a torn record on the next open. (If only
                // the anchor write failed, the record is durable and the anchor lags by it, which opens fine.)
                _faulted = true;
                Log.AppendFailed(_logger, _path, ex);
                throw;
            }

            Log.ReleaseReserved(_logger, record.Sequence, release.NoiseMultiplier, release.SamplingRate, release.Steps, record.EpsilonAfter);
            PrivacyBudgetStatus status = StatusLocked();
            RaiseWarningIfDue(status);
            return new ReleaseDecision(true, string.Empty, record.Sequence, status);
        }
    }

    /// <summary>Current budget status (what status and metrics show).</summary>
    public PrivacyBudgetStatus GetStatus()
    {
        lock (_gate)
        {
            return StatusLocked();
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _anchorFile?.Dispose();
        _lockFile?.Dispose();
    }

    private ReleaseDecision Refuse(string reason)
    {
        Log.ReleaseRefused(_logger, reason);
        return new ReleaseDecision(false, reason, 0, StatusLocked());
    }

    private PrivacyBudgetStatus StatusLocked()
    {
        IReadOnlyList<int> orders = RdpAccountant.DefaultOrders;
        double delta = _options.BudgetDelta;
        bool nothingSpent = _releases == 0 && _tornCharges == 0 && _lostCharges == 0;
        EpsilonAtOrder improved = RdpAccountant.EpsilonImproved(_rdp, orders, delta);
        EpsilonAtOrder classic = RdpAccountant.EpsilonClassic(_rdp, orders, delta);
        double spent = nothingSpent ? 0 : improved.Epsilon;
        double spentClassic = nothingSpent ? 0 : classic.Epsilon;
        double next = RdpAccountant.EpsilonImproved(WithRelease(_rdp, _options.DefaultRelease), orders, delta).Epsilon;
        double budget = _options.BudgetEpsilon;
        double fraction = spent / budget;
        PrivacyBudgetState state = _truncation is not null ? PrivacyBudgetState.Truncated
            : next > budget || _faulted ? PrivacyBudgetState.Exhausted
            : fraction >= _options.WarningFraction ? PrivacyBudgetState.Warning
            : PrivacyBudgetState.Ok;
        string message = state switch
        {
            PrivacyBudgetState.Truncated => TruncationMessage(),
            PrivacyBudgetState.Exhausted when _faulted => "ledger append failed: releases refused until the ledger is reopened",
            PrivacyBudgetState.Exhausted => $"budget exhausted: ε {spent:F3} of {budget}; the next release would reach {next:F3}. Releases are refused; learning and receiving continue.",
            PrivacyBudgetState.Warning => $"ε {spent:F3} of {budget} spent ({fraction * 100:F1}%), past the {_options.WarningFraction * 100:F0}% warning level",
            _ => $"ε {spent:F3} of {budget} spent ({fraction * 100:F1}%)",
        };
        return new PrivacyBudgetStatus(
            _releases, spent, spentClassic, improved.Order, budget, delta, Math.Max(0, budget - spent), fraction, next, state, _tornCharges, message)
        {
            LostRecordsCharged = _lostCharges,
            Level = PrivacyLevels.Name(_options.Level),
            Mechanism = _options.DefaultRelease,
        };
    }

    private void RaiseWarningIfDue(PrivacyBudgetStatus status)
    {
        if (_warned || status.FractionSpent < _options.WarningFraction)
        {
            return;
        }

        _warned = true;
        Log.BudgetWarning(_logger, status.SpentEpsilon, status.BudgetEpsilon, status.FractionSpent * 100, status.Delta);
        BudgetWarning?.Invoke(status);
    }

    /// <param name="lineHash">The record line's <see cref="LedgerCodec.LineHash"/>: the head the anchor records.</param>
    private void Apply(LedgerRecord record, string lineHash)
    {
        AddRelease(_rdp, record.Release);
        _lastSequence = record.Sequence;
        _lastLineHash = lineHash;
        bool torn = record.Kind == LedgerRecord.TornKind;
        bool lost = record.Kind == LedgerRecord.LostKind;
        if (torn)
        {
            _tornCharges++;
        }
        else if (lost)
        {
            _lostCharges += record.LostRecords ?? 0;
        }
        else
        {
            _releases++;
            _lastRelease = record.Release;
        }

        double epsilon = RdpAccountant.EpsilonImproved(_rdp, RdpAccountant.DefaultOrders, _options.BudgetDelta).Epsilon;
        _entries.Add(new LedgerEntry(record.Sequence, torn, record.Time, record.Release, record.ContentId, epsilon, record.Level ?? PrivacyLevels.Node) { IsLostCharge = lost });
    }

    /// <summary>
    /// Appends one record, fsyncs the ledger, applies the record, then rewrites the anchor. The anchor is written
    /// only after the record is durable, so a crash in between leaves it one record behind (accepted on open), never
    /// ahead (which would read as truncation).
    /// </summary>
    private void AppendRecord(LedgerRecord record, bool leadingTerminator)
    {
        byte[] line = LedgerCodec.Encode(record);
        FileStream writer = _writer!;
        writer.Seek(0, SeekOrigin.End);
        if (leadingTerminator)
        {
            writer.WriteByte((byte)'\n');
        }

        writer.Write(line);
        writer.Flush(flushToDisk: true);
        Apply(record, LedgerCodec.LineHash(line.AsSpan(0, line.Length - 1)));
        WriteAnchor();
    }

    /// <summary>Records the current head in the anchor file (writers only; never while truncation is unresolved,
    /// since the old anchor is the evidence of what is missing).</summary>
    private void WriteAnchor()
    {
        if (_truncation is null)
        {
            _anchorFile?.Write(new LogAnchor(_lastSequence, _lastLineHash));
        }
    }

    private string TruncationMessage() =>
        $"privacy ledger '{_path}' {_truncation}. Releases are refused until an operator acts: restore the ledger from a backup, " +
        $"or stop the node and run `fedmesh privacy --state-dir {System.IO.Path.GetDirectoryName(_path)} --acknowledge-truncation` to charge the missing records conservatively";

    /// <summary>The record that would follow the current last one, with the running ε it would bring.</summary>
    private LedgerRecord NextRecord(string kind, GaussianRelease release) => new()
    {
        Sequence = _lastSequence + 1,
        Kind = kind,
        Time = _time.GetUtcNow(),
        ClipNorm = release.ClipNorm,
        NoiseMultiplier = release.NoiseMultiplier,
        SamplingRate = release.SamplingRate,
        Steps = release.Steps,
        EpsilonAfter = RdpAccountant.EpsilonImproved(WithRelease(_rdp, release), RdpAccountant.DefaultOrders, _options.BudgetDelta).Epsilon,
        Delta = _options.BudgetDelta,
        Level = kind == LedgerRecord.ReleaseKind ? PrivacyLevels.Name(_options.Level) : null,
    };

    private double[] WithRelease(double[] rdp, GaussianRelease release)
    {
        double[] copy = (double[])rdp.Clone();
        AddRelease(copy, release);
        return copy;
    }

    private void AddRelease(double[] rdp, GaussianRelease release)
    {
        // Bound: at most 64 distinct settings are cached (each 2 KiB); beyond that the cache restarts.
        const int MaxCachedCurves = 64;
        if (!_stepRdp.TryGetValue((release.NoiseMultiplier, release.SamplingRate), out double[]? step))
        {
            if (_stepRdp.Count >= MaxCachedCurves)
            {
                _stepRdp.Clear();
            }

            step = RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, release.SamplingRate, release.NoiseMultiplier, 1);
            _stepRdp[(release.NoiseMultiplier, release.SamplingRate)] = step;
        }

        for (int i = 0; i < rdp.Length; i++)
        {
            rdp[i] += release.Steps * step[i];
        }
    }

    private static bool IsValidContentId(string id) =>
        id.Length is > 0 and <= MaxContentIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');
}
