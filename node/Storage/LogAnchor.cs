using System.Globalization;
using System.Text;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Storage;

/// <summary>
/// The head of an append-only log (the privacy ledger, the audit log) kept outside the log: how many records it
/// held and the hash of the last one. A log's own checks (checksums, hash chains, sequence numbers) catch edits
/// and torn writes, but a log cut at a record boundary is still a valid, shorter log; only a head kept elsewhere
/// tells that records are missing.
/// </summary>
/// <remarks>
/// <para>File format, one line of ASCII: <c>fedmesh-anchor 1 COUNT HEAD LF</c> — the format version, the record
/// count in decimal and the head as 64 lowercase hex digits (64 zeros for an empty log). Written whole with
/// <see cref="AtomicFile"/> (temp file, fsync, rename, directory fsync), mode 0600, so it is never torn.</para>
/// <para>Order of writes: the owner appends a record and fsyncs the log, and only then rewrites the anchor. A crash
/// between the two leaves the anchor one record behind the log, which <see cref="Check"/> accepts; the anchor is
/// never ahead of a log that was not cut. So a log shorter than its anchor was truncated.</para>
/// <para>What it does not catch: someone who rewrites or deletes the anchor together with the log. The anchor
/// raises the bar from "delete a line" to "understand and edit two files consistently".</para>
/// </remarks>
public sealed record LogAnchor(long Count, string Head)
{
    /// <summary>The anchor of a log is the log's path with this suffix (e.g. <c>privacy.ledger.anchor</c>).</summary>
    public const string Suffix = ".anchor";

    /// <summary>Head of an empty log.</summary>
    public static readonly string EmptyHead = new('0', 64);

    private const string Magic = "fedmesh-anchor";
    private const int FormatVersion = 1;

    /// <summary>Longest file accepted: the one line is ~100 bytes; anything larger is not an anchor.</summary>
    private const int MaxFileBytes = 256;

    /// <summary>The anchor file of the log at <paramref name="logPath"/>.</summary>
    public static string PathFor(string logPath) => logPath + Suffix;

    /// <summary>Writes the anchor atomically with mode 0600.</summary>
    public void Write(string path)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"{Magic} {FormatVersion} {Count} {Head}\n");
        AtomicFile.Write(path, Encoding.ASCII.GetBytes(line), StateDirectory.FileMode);
    }

    /// <summary>
    /// Reads the anchor at <paramref name="path"/>: null with a null problem when there is none, the anchor when it
    /// is well formed, or null with the problem when the file is not an anchor.
    /// </summary>
    public static LogAnchor? Read(string path, out string? problem)
    {
        problem = null;
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                problem = $"anchor {path} is {info.Length} bytes, more than an anchor line ({MaxFileBytes})";
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        LogAnchor? anchor = Parse(bytes, out string? why);
        if (anchor is null)
        {
            problem = $"anchor {path} is not valid: {why}";
        }

        return anchor;
    }

    /// <summary>Parses the anchor line; null with the reason when it is malformed.</summary>
    public static LogAnchor? Parse(ReadOnlySpan<byte> bytes, out string? problem)
    {
        problem = null;
        if (bytes.Length == 0 || bytes[^1] != (byte)'\n' || !Ascii.IsValid(bytes))
        {
            problem = "not one ASCII line ending in a newline";
            return null;
        }

        string[] parts = Encoding.ASCII.GetString(bytes[..^1]).Split(' ');
        if (parts.Length != 4 || parts[0] != Magic)
        {
            problem = $"expected \"{Magic} {FormatVersion} COUNT HEAD\"";
            return null;
        }

        if (parts[1] != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            problem = $"unsupported anchor format version {parts[1]}";
            return null;
        }

        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
        {
            problem = $"record count \"{parts[2]}\" is not a non-negative integer";
            return null;
        }

        if (!IsHash(parts[3]))
        {
            problem = "head is not 64 lowercase hex digits";
            return null;
        }

        return new LogAnchor(count, parts[3]);
    }

    /// <summary>
    /// Compares a log with its anchor. <paramref name="count"/> is how many records the log holds and
    /// <paramref name="headAtAnchor"/> the hash of its record number <see cref="Count"/> (1-based; null when the log
    /// has fewer records). Returns null when the log is the anchored log, possibly grown since; otherwise why not.
    /// </summary>
    public string? Check(long count, string? headAtAnchor)
    {
        if (count < Count)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"holds {count} record(s) but its anchor recorded {Count} (head {Head[..16]}…): the last {Count - count} record(s) were removed");
        }

        if (Count > 0 && !string.Equals(headAtAnchor, Head, StringComparison.Ordinal))
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"record {Count} hashes to {headAtAnchor?[..16] ?? "nothing"}… but its anchor recorded {Head[..16]}…: records were replaced");
        }

        return null;
    }

    private static bool IsHash(string value) =>
        value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
