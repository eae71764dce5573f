using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FedMesh.Node.Storage;

/// <summary>
/// The head of an append-only log (the privacy ledger, the audit log) kept outside the log: how many records it
/// held and the hash of the last one. A log's own checks (checksums, hash chains, sequence numbers) catch edits
/// and torn writes, but a log cut at a record boundary is still a valid, shorter log; only a head kept elsewhere
/// tells that records are missing.
/// </summary>
/// <remarks>
/// <para>File format: two slots of <see cref="SlotBytes"/> bytes, each one ASCII line
/// <c>fedmesh-anchor 1 COUNT HEAD CHECK</c> padded with spaces to the slot size: the format version, the record
/// count in decimal, the head as 64 lowercase hex digits (64 zeros for an empty log) and CHECK, the first 8 bytes
/// of SHA-256 of the text before it in hex. The anchor of count k goes to slot k mod 2, overwritten in place; a
/// reader takes the valid slot with the larger count. So an interrupted slot write leaves the other slot, one
/// record behind, which <see cref="Check"/> accepts.</para>
/// <para>Order of writes: the owner appends a record and fsyncs the log, and only then writes the anchor, so the
/// anchor is never ahead of the log. The anchor is not fsynced itself: losing its latest write (power loss) only
/// leaves it further behind, the safe direction (a truncation of the unanchored records would go unnoticed; a
/// false alarm cannot happen), and a process crash (kill -9) loses nothing the kernel already has. That keeps an
/// update at one small <c>pwrite</c>: an fsync'd atomic rewrite (temp file, fsync, rename, directory fsync) made
/// an audit append 4× slower (<c>fedmesh bench audit</c> on the development VM: 4.8 ms → 20 ms). So a log shorter
/// than its anchor was truncated, never merely crashed.</para>
/// <para>What it does not catch: someone who rewrites or deletes the anchor together with the log. The anchor
/// raises the bar from "delete a line" to "understand and edit two files consistently".</para>
/// </remarks>
public sealed record LogAnchor(long Count, string Head)
{
    /// <summary>The anchor of a log is the log's path with this suffix (e.g. <c>privacy.ledger.anchor</c>).</summary>
    public const string Suffix = ".anchor";

    /// <summary>Bytes per slot: the line is at most 14 + 2 + 20 + 65 + 17 = 118 bytes; 128 leaves room, and both
    /// slots sit inside one 512-byte sector.</summary>
    public const int SlotBytes = 128;

    /// <summary>Head of an empty log.</summary>
    public static readonly string EmptyHead = new('0', 64);

    private const string Magic = "fedmesh-anchor";
    private const int FormatVersion = 1;
    private const int CheckHexLength = 16;

    /// <summary>The anchor file of the log at <paramref name="logPath"/>.</summary>
    public static string PathFor(string logPath) => logPath + Suffix;

    /// <summary>This anchor as one slot (<see cref="SlotBytes"/> bytes).</summary>
    public byte[] EncodeSlot()
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{Magic} {FormatVersion} {Count} {Head}");
        byte[] slot = new byte[SlotBytes];
        slot.AsSpan().Fill((byte)' ');
        Encoding.ASCII.GetBytes($"{text} {CheckOf(text)}", slot);
        slot[^1] = (byte)'\n';
        return slot;
    }

    /// <summary>
    /// Reads the anchor at <paramref name="path"/>: null with a null problem when there is none (no file, or an empty
    /// one), the newest valid slot, or null with the problem when no slot is valid.
    /// </summary>
    public static LogAnchor? Read(string path, out string? problem)
    {
        problem = null;
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length == 0)
            {
                return null;
            }

            if (info.Length > 2 * SlotBytes)
            {
                problem = $"anchor {path} is {info.Length} bytes, more than its two {SlotBytes}-byte slots";
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        LogAnchor? best = null;
        string? why = null;
        for (int offset = 0; offset < bytes.Length; offset += SlotBytes)
        {
            LogAnchor? slot = Parse(bytes.AsSpan(offset, Math.Min(SlotBytes, bytes.Length - offset)), out string? slotProblem);
            why ??= slotProblem;
            if (slot is not null && (best is null || slot.Count > best.Count))
            {
                best = slot;
            }
        }

        if (best is null)
        {
            problem = $"anchor {path} has no valid slot: {why}";
        }

        return best;
    }

    /// <summary>Parses one slot; null with the reason when it is malformed.</summary>
    public static LogAnchor? Parse(ReadOnlySpan<byte> slot, out string? problem)
    {
        problem = null;
        if (slot.Length != SlotBytes || slot[^1] != (byte)'\n' || !Ascii.IsValid(slot))
        {
            problem = $"not a {SlotBytes}-byte ASCII line";
            return null;
        }

        string[] parts = Encoding.ASCII.GetString(slot[..^1]).TrimEnd(' ').Split(' ');
        if (parts.Length != 5 || parts[0] != Magic)
        {
            problem = $"expected \"{Magic} {FormatVersion} COUNT HEAD CHECK\"";
            return null;
        }

        if (parts[4] != CheckOf(string.Join(' ', parts[..4])))
        {
            problem = "check value mismatch (torn or altered)";
            return null;
        }

        if (parts[1] != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            problem = $"unsupported anchor format version {parts[1]}";
            return null;
        }

        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count) || !IsHash(parts[3]))
        {
            problem = "count is not a non-negative integer or head is not 64 lowercase hex digits";
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

    private static string CheckOf(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)).AsSpan(0, CheckHexLength / 2));

    private static bool IsHash(string value) =>
        value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
