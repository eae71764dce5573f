using System.Text;
using System.Text.Json;
using FedMesh.Node.Audit.Internal;
using FedMesh.Node.Storage;
using FedMesh.Protocol.IO;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Audit;

/// <summary>
/// Append-only, hash-chained JSON-lines log of every delta sent, received, merged or rejected (format in
/// <see cref="AuditLine"/>). Each append is fsynced before it returns, because the log is evidence and batching
/// would lose the last events of a crash. Cost: about 4 ms per append on the development VM
/// (<c>fedmesh bench audit</c>: ~260 appends/s), while a node logs a few events per gossip round (fanout sends plus
/// the deltas it receives), i.e. well under one per second at the default 30 s period. Opening an existing log verifies its whole chain and continues it; a torn last line
/// (crash mid-append, never acknowledged) is saved aside and cut off, any other break refuses to open.
/// After each fsync'd append the entry count and chain head are written to the log's anchor
/// (<see cref="LogAnchor"/>, <c>audit.log.anchor</c>), so lines cut off the end are detected too: a crash between
/// the append and the anchor write leaves the anchor one entry behind, which is accepted; a log shorter than its
/// anchor refuses to open. Thread-safe.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly FileStream _file;
    private readonly LogAnchorFile _anchor;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private string _lastHash;
    private long _entries;

    private AuditLog(string path, FileStream file, LogAnchorFile anchor, TimeProvider time, string lastHash, long entries)
    {
        Path = path;
        _anchor = anchor;
        _file = file;
        _time = time;
        _lastHash = lastHash;
        _entries = entries;
    }

    public string Path { get; }

    /// <summary>Hash of the newest line (the chain head); publish it to anchor the log.</summary>
    public string LastHash
    {
        get
        {
            lock (_gate)
            {
                return _lastHash;
            }
        }
    }

    public long Entries
    {
        get
        {
            lock (_gate)
            {
                return _entries;
            }
        }
    }

    /// <summary>Opens (creating with mode 0600 if needed) and verifies the log at <paramref name="path"/>.</summary>
    /// <exception cref="AuditLogException">The chain is broken before the last line, or the file cannot be opened.</exception>
    public static AuditLog Open(string path, TimeProvider time, ILogger<AuditLog> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream file;
        try
        {
            file = StateDirectory.OpenPrivateFile(path, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditLogException($"cannot open the audit log {path}: {ex.Message}", ex);
        }

        LogAnchorFile? anchorFile = null;
        try
        {
            LogAnchor? anchor = LogAnchor.Read(LogAnchor.PathFor(path), out string? anchorProblem);
            AuditVerifyResult result = AuditVerifier.Verify(file, anchor, anchorProblem);
            if (result.Break is { IsTruncation: true } truncated)
            {
                throw new AuditLogException(
                    $"audit log {path} is {truncated.Problem}. Restore it from a backup, or move {path} and {LogAnchor.PathFor(path)} aside " +
                    "(keep both as evidence) to start a new chain");
            }

            if (result.Break is { IsTornTail: true } torn)
            {
                CutTornTail(path, file, result, torn, logger);
            }
            else if (result.Break is { } broken)
            {
                throw new AuditLogException(
                    $"audit log {path} is broken at line {broken.Line}: {broken.Problem}; run `fedmesh audit verify --file {path}` and move the file aside to start a new chain");
            }

            file.Seek(0, SeekOrigin.End);
            Log.Opened(logger, path, result.Entries, result.LastHash);
            anchorFile = LogAnchorFile.Open(LogAnchor.PathFor(path));
            var log = new AuditLog(path, file, anchorFile, time, result.LastHash, result.Entries);
            // Brings a missing anchor (a log from before anchors) or one lagging by a crash up to the head.
            log.WriteAnchor();
            return log;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            anchorFile?.Dispose();
            file.Dispose();
            throw new AuditLogException($"cannot open the audit log {path} or its anchor: {ex.Message}", ex);
        }
        catch
        {
            anchorFile?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends one event, fsyncs it, and returns the new line's hash.</summary>
    public string Append(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            (byte[] line, string hash) = AuditLine.Encode(record, _time.GetUtcNow(), _lastHash);
            _file.Write(line);
            _file.Flush(flushToDisk: true);
            _lastHash = hash;
            _entries++;
            // Only after the line is durable, so the anchor never names an entry a crash could lose.
            WriteAnchor();
            return hash;
        }
    }

    /// <summary>
    /// The highest sequence of a "sent" entry whose origin is <paramref name="origin"/> (0 if none): the deltas this
    /// node released, for resuming its sequence counter when the sequence file is lost (<see cref="SequenceFile"/>).
    /// Reads the whole log once, every line bounded, so it is for start-up only.
    /// </summary>
    public ulong HighestSequenceSent(string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        byte[] sent = Encoding.ASCII.GetBytes($"\"kind\":\"{AuditLine.KindText(AuditEventKind.Sent)}\"");
        ulong highest = 0;
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var reader = new LineReader(stream, AuditLine.MaxLineBytes);
        while (reader.Next(out ReadOnlySpan<byte> line) == LineReader.Status.Line)
        {
            if (line.IndexOf(sent) < 0)
            {
                continue;
            }

            using JsonDocument entry = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 2 });
            JsonElement root = entry.RootElement;
            if (root.TryGetProperty("origin", out JsonElement from) && from.ValueKind == JsonValueKind.String && from.ValueEquals(origin)
                && root.TryGetProperty("seq", out JsonElement seq) && seq.TryGetUInt64(out ulong value))
            {
                highest = Math.Max(highest, value);
            }
        }

        return highest;
    }

    public void Dispose()
    {
        _file.Dispose();
        _anchor.Dispose();
    }

    private void WriteAnchor() => _anchor.Write(new LogAnchor(_entries, _lastHash));

    private static void CutTornTail(string path, FileStream file, AuditVerifyResult result, AuditBreak torn, ILogger logger)
    {
        long tornBytes = file.Length - result.IntactBytes;
        byte[] tail = new byte[tornBytes];
        file.Seek(result.IntactBytes, SeekOrigin.Begin);
        file.ReadExactly(tail);
        // Kept for forensics under a name that says where it was cut; the chain itself stays append-only.
        string savedTo = $"{path}.torn-at-{result.IntactBytes}";
        AtomicFile.Write(savedTo, tail, StateDirectory.FileMode);
        file.SetLength(result.IntactBytes);
        file.Flush(flushToDisk: true);
        Log.TornTailRepaired(logger, path, torn.Line, tornBytes, savedTo);
    }
}
