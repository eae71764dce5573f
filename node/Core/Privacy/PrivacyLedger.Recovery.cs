using System.Text;
using FedMesh.Node.Privacy.Internal;
using FedMesh.Node.Storage;
using FedMesh.Protocol.IO;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Privacy;

/// <summary>
/// Opening and crash recovery. A crash can only damage the tail: records are appended one at a time and fsync'd,
/// so at most the record being written (or a repair marker being written) is torn. Hence:
/// <list type="bullet">
/// <item>Damaged lines at the end (a partial line without LF, or lines failing their checksum) are a torn tail.
/// They are never dropped: each damaged line is charged as one release with parameters that dominate both the
/// last intact release and the configured one (<see cref="GaussianRelease.Dominating"/>), although a torn
/// release cannot actually have been sent (sending waits for the fsync). The writer then repairs the file by
/// terminating the partial line and appending a "torn" marker record that carries the charge and names the
/// damaged byte range, so the next open accepts that range and charges it exactly once.</item>
/// <item>Damaged lines followed by anything other than their torn marker are corruption in the middle: the
/// ledger refuses to open and names the byte offset (<see cref="LedgerCorruptException"/>).</item>
/// <item>Fewer intact records than the anchor recorded, or a different record where the anchor's head was, is
/// truncation (or replacement): no crash produces it, because the anchor is written only after the record it
/// names is durable. The ledger opens in the truncated state and refuses releases (see the class remarks).</item>
/// </list>
/// </summary>
public sealed partial class PrivacyLedger
{
    /// <summary>The bytes every record line's JSON starts with; counted inside a damaged region so two records
    /// whose separator was destroyed are still charged twice.</summary>
    /// <summary>
    /// Damaged lines a torn tail may span: the interrupted record plus up to two interrupted repair markers
    /// (a crash while repairing after a crash). More damage at the end is not a torn write but corruption.
    /// </summary>
    private const int MaxTornLines = 3;

    private static readonly byte[] RecordStart = Encoding.ASCII.GetBytes("{\"v\":");

    private static PrivacyLedger OpenCore(string path, PrivacyOptions options, TimeProvider? time, ILogger? logger, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        string full = System.IO.Path.GetFullPath(path);
        time ??= TimeProvider.System;
        logger ??= NullLogger.Instance;

        FileStream? writer = null;
        FileStream? lockFile = null;
        LogAnchorFile? anchorFile = null;
        byte[] content;
        string anchorPath = LogAnchor.PathFor(full);
        // Read before this open can create the anchor file, and before the ledger itself is created.
        LogAnchor? anchor = LogAnchor.Read(anchorPath, out string? anchorProblem);
        if (readOnly)
        {
            content = File.Exists(full) ? ReadBounded(full, null) : [];
        }
        else
        {
            string dir = System.IO.Path.GetDirectoryName(full)!;
            Directory.CreateDirectory(dir);
            bool created = !File.Exists(full);
            // One writer per ledger: the lock file is held exclusively (flock LOCK_EX on Unix) for the ledger's
            // lifetime, so a second node on the same state directory fails here instead of interleaving appends.
            // The ledger itself stays shared-readable so `fedmesh privacy` works while the node runs.
            lockFile = AcquireWriterLock(full + ".lock");
            try
            {
                writer = StateDirectory.OpenPrivateFile(full, FileShare.ReadWrite);
                if (created)
                {
                    // The new directory entry must be durable too, or a crash could lose the whole file.
                    AtomicFile.FsyncDirectory(dir);
                }

                content = ReadBounded(full, writer);
                anchorFile = LogAnchorFile.Open(anchorPath);
            }
            catch
            {
                writer?.Dispose();
                lockFile.Dispose();
                throw;
            }
        }

        var ledger = new PrivacyLedger(full, options, time, logger, writer, lockFile, anchorFile);
        try
        {
            ledger.Load(content, anchor, anchorProblem);
        }
        catch
        {
            ledger.Dispose();
            throw;
        }

        PrivacyBudgetStatus status = ledger.GetStatus();
        Log.LedgerOpened(logger, full, status.Releases, status.SpentEpsilon, status.BudgetEpsilon, status.Delta);
        ledger.RaiseWarningIfDue(status);
        return ledger;
    }

    private static FileStream AcquireWriterLock(string lockPath)
    {
        try
        {
            return StateDirectory.OpenPrivateFile(lockPath, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"privacy ledger is already open for writing by another process (lock '{lockPath}' is held)", ex);
        }
    }

    private static byte[] ReadBounded(string path, FileStream? open)
    {
        FileStream stream = open ?? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            if (stream.Length > MaxFileBytes)
            {
                throw new LedgerCorruptException(path, MaxFileBytes, $"file is {stream.Length} bytes, over the {MaxFileBytes}-byte limit");
            }

            var buffer = new byte[stream.Length];
            stream.Seek(0, SeekOrigin.Begin);
            stream.ReadExactly(buffer);
            return buffer;
        }
        finally
        {
            if (open is null)
            {
                stream.Dispose();
            }
        }
    }

    private void Load(byte[] content, LogAnchor? anchor, string? anchorProblem)
    {
        string? headAtAnchor = null;
        long damageStart = -1;
        int damagedRecords = 0;
        int damagedLines = 0;
        string damageReason = string.Empty;
        int position = 0;
        while (position < content.Length)
        {
            int newline = Array.IndexOf(content, (byte)'\n', position);
            bool terminated = newline >= 0;
            int end = terminated ? newline : content.Length;
            ReadOnlySpan<byte> line = content.AsSpan(position, end - position);
            LedgerRecord? record = null;
            string error = "last record has no line terminator (write interrupted)";
            if (terminated && LedgerCodec.TryDecode(line, out record, out error))
            {
                if (damageStart >= 0)
                {
                    // Damage followed by a valid record is only acceptable if that record is its torn marker.
                    bool marksDamage = record.Kind == LedgerRecord.TornKind && record.TornOffset == damageStart
                        && position - damageStart - record.TornLength is 0 or 1;
                    if (!marksDamage)
                    {
                        throw new LedgerCorruptException(_path, damageStart, damageReason);
                    }

                    damageStart = -1;
                    damagedRecords = 0;
                    damagedLines = 0;
                }
                else if (record.Kind == LedgerRecord.TornKind)
                {
                    throw new LedgerCorruptException(_path, position, "torn marker without a damaged range before it");
                }

                if (record.Sequence != _lastSequence + 1)
                {
                    throw new LedgerCorruptException(_path, position, $"record sequence {record.Sequence} follows {_lastSequence} (a record is missing or repeated)");
                }

                string hash = LedgerCodec.LineHash(line);
                if (record.Sequence == anchor?.Count)
                {
                    headAtAnchor = hash;
                }

                Apply(record, hash);
            }
            else
            {
                if (damageStart < 0)
                {
                    damageStart = position;
                    damageReason = error;
                }

                damagedRecords += Math.Max(1, CountOccurrences(line, RecordStart));
                if (++damagedLines > MaxTornLines)
                {
                    throw new LedgerCorruptException(_path, damageStart, $"{damagedLines} or more damaged lines from here on, more than a torn write can leave ({damageReason})");
                }
            }

            position = end + 1;
        }

        // Checked on the intact records, before a torn-tail marker adds one: the anchor never names a torn record.
        CheckAnchor(anchor, anchorProblem, headAtAnchor);
        if (damageStart >= 0)
        {
            ChargeTornTail(content, damageStart, damagedRecords, damageReason);
        }

        // Brings a lagging (crash between append and anchor) or missing anchor up to the head.
        WriteAnchor();
    }

    private void CheckAnchor(LogAnchor? anchor, string? anchorProblem, string? headAtAnchor)
    {
        _anchor = anchor;
        if (anchorProblem is not null)
        {
            _truncation = $"cannot be checked for truncation: {anchorProblem}";
        }
        else if (anchor is null)
        {
            if (_lastSequence > 0)
            {
                // A ledger written before anchors existed, or an anchor deleted: nothing to compare with. Anchoring
                // now protects from here on; this is logged because a deleted anchor can hide a truncation.
                Log.AnchorMissing(_logger, _path, _lastSequence);
            }
        }
        else
        {
            _truncation = anchor.Check(_lastSequence, headAtAnchor);
        }

        if (_truncation is not null)
        {
            Log.LedgerTruncated(_logger, _path, _truncation);
        }
    }

    /// <summary>
    /// The operator's way out of the truncated state when no backup of the ledger exists: appends a "lost" record
    /// that charges the missing records (anchored count − intact count, at least one if records were replaced) as
    /// releases at parameters dominating the last intact release and the configured one — the same rule as a torn
    /// record — and re-anchors. Nothing is charged when the anchor itself was unreadable (there is no count to go
    /// by). Needs the writer lock, so the node must be stopped. Returns what was done, for the operator.
    /// </summary>
    public static string AcknowledgeTruncation(string path, PrivacyOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        using PrivacyLedger ledger = Open(path, options, time, logger);
        return ledger.AcknowledgeTruncationCore();
    }

    private string AcknowledgeTruncationCore()
    {
        lock (_gate)
        {
            if (_truncation is not { } problem)
            {
                return $"privacy ledger '{_path}' matches its anchor ({_lastSequence} records); nothing to acknowledge";
            }

            long missing = _anchor is { } anchor ? Math.Max(1, anchor.Count - _lastSequence) : 0;
            _truncation = null;
            string charged = "nothing charged (the anchor was unreadable, so the number of missing records is unknown)";
            if (missing > 0)
            {
                GaussianRelease one = _lastRelease is { } last ? GaussianRelease.Dominating(last, _options.DefaultRelease) : _options.DefaultRelease;
                LedgerRecord marker = NextRecord(LedgerRecord.LostKind, one with { Steps = one.Steps * missing }) with { LostRecords = missing };
                AppendRecord(marker, leadingTerminator: false);
                charged = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{missing} missing record(s) charged as releases at σ = {one.NoiseMultiplier}, q = {one.SamplingRate}, {one.Steps} step(s) each");
            }

            // Both slots: the old anchor's count is higher than the new head's and would outrank it in its slot.
            _anchorFile!.Reset(new LogAnchor(_lastSequence, _lastLineHash));
            string message = $"truncation acknowledged ({problem}); {charged}; ε is now {StatusLocked().SpentEpsilon:F4}; releases are allowed again";
            Log.TruncationAcknowledged(_logger, _path, message);
            return message;
        }
    }

    private void ChargeTornTail(byte[] content, long offset, int damagedRecords, string reason)
    {
        long length = content.Length - offset;
        GaussianRelease one = _lastRelease is { } last
            ? GaussianRelease.Dominating(last, _options.DefaultRelease)
            : _options.DefaultRelease;
        GaussianRelease charge = one with { Steps = one.Steps * damagedRecords };
        LedgerRecord marker = NextRecord(LedgerRecord.TornKind, charge) with { TornOffset = offset, TornLength = length };
        string action = _writer is null
            ? "read-only: counted in this report, the file is repaired when the node next opens it"
            : "a torn marker was appended and the file repaired";
        Log.TornTail(_logger, _path, offset, length, damagedRecords, reason, charge.NoiseMultiplier, charge.SamplingRate, charge.Steps, action);
        if (_writer is not null)
        {
            AppendRecord(marker, leadingTerminator: content.Length > 0 && content[^1] != (byte)'\n');
        }
        else
        {
            Apply(marker, LedgerCodec.LineHash(LedgerCodec.Encode(marker).AsSpan()[..^1]));
        }

        TornTailMessage = $"torn last record at byte offset {offset} ({length} bytes): {reason}; charged as {damagedRecords} release(s) at σ = {charge.NoiseMultiplier}, q = {charge.SamplingRate}; {action}";
    }

    /// <summary>Set when this open found a torn tail: what was found and how it was charged.</summary>
    public string? TornTailMessage { get; private set; }

    private static int CountOccurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        int count = 0;
        int index;
        while ((index = haystack.IndexOf(needle)) >= 0)
        {
            count++;
            haystack = haystack[(index + needle.Length)..];
        }

        return count;
    }
}
