using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using FedMesh.Node.Audit.Internal;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Audit;

/// <summary>
/// Checks an audit log's hash chain line by line and reports the first broken link. It detects any edit,
/// insertion, deletion or reordering of lines, unless the editor also rewrote every later hash. Lines cut off the
/// end leave a valid shorter chain: the log's anchor (<see cref="LogAnchor"/>, <c>audit.log.anchor</c>, the entry
/// count and chain head the writer records after every fsync'd append) tells that entries are missing.
/// </summary>
public static class AuditVerifier
{
    private static readonly string[] RequiredFields = ["time", "kind", "origin", "content_id", "seq", "decision"];

    private static readonly string[] Kinds = ["sent", "received", "merged", "rejected"];

    /// <summary>
    /// Verifies the file at <paramref name="path"/> and compares it with its anchor (<c>PATH.anchor</c>) when there is
    /// one; IO errors propagate (the CLI maps them to exit code 2).
    /// </summary>
    public static AuditVerifyResult VerifyFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        LogAnchor? anchor = LogAnchor.Read(LogAnchor.PathFor(path), out string? anchorProblem);
        return Verify(stream, anchor, anchorProblem);
    }

    /// <summary>
    /// Verifies a log read from <paramref name="stream"/> to its end, with every line bounded before parsing. With an
    /// <paramref name="anchor"/>, an intact chain with fewer entries than it recorded (or another line where its head
    /// was) is reported as a truncation; an <paramref name="anchorProblem"/> (an unreadable anchor) is reported too,
    /// since the log then cannot be checked for truncation.
    /// </summary>
    public static AuditVerifyResult Verify(Stream stream, LogAnchor? anchor = null, string? anchorProblem = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        AuditVerifyResult result = VerifyChain(stream, anchor?.Count ?? 0, out string? headAtAnchor);
        if (result.Break is { IsTornTail: false })
        {
            return result;
        }

        // Checked on the intact entries: an interrupted append (torn tail) is never an anchored entry.
        string? truncation = anchorProblem is not null
            ? $"cannot be checked for truncation: {anchorProblem}"
            : anchor?.Check(result.Entries, headAtAnchor);
        return truncation is null
            ? result
            : result with { Break = new AuditBreak(result.Entries + 1, $"truncated: the log {truncation}", IsTornTail: false) { IsTruncation = true } };
    }

    private static AuditVerifyResult VerifyChain(Stream stream, long anchoredEntry, out string? headAtAnchor)
    {
        headAtAnchor = null;
        string prev = AuditLine.Genesis;
        long entries = 0;
        long intactBytes = 0;
        var reader = new LineReader(stream, AuditLine.MaxLineBytes);
        while (true)
        {
            LineReader.Status status = reader.Next(out ReadOnlySpan<byte> line);
            long number = entries + 1;
            switch (status)
            {
                case LineReader.Status.End:
                    return new AuditVerifyResult(entries, prev, intactBytes, null);
                case LineReader.Status.TooLong:
                    return Broken(number, $"line longer than {AuditLine.MaxLineBytes} bytes");
                case LineReader.Status.Torn:
                    return new AuditVerifyResult(entries, prev, intactBytes, new AuditBreak(number,
                        $"torn last line: {line.Length} bytes without a final newline (an append was interrupted)", IsTornTail: true));
            }

            if (CheckLine(line, prev, out string hash) is { } problem)
            {
                return Broken(number, problem);
            }

            prev = hash;
            entries++;
            if (entries == anchoredEntry)
            {
                headAtAnchor = hash;
            }

            intactBytes += line.Length + 1;
        }

        AuditVerifyResult Broken(long number, string problem) =>
            new(entries, prev, intactBytes, new AuditBreak(number, problem, IsTornTail: false));
    }

    /// <summary>Checks one complete line (without its newline) against the previous hash; returns the problem or null.</summary>
    private static string? CheckLine(ReadOnlySpan<byte> line, string expectedPrev, out string hash)
    {
        hash = string.Empty;
        // JsonDocument defers UTF-8 validation of string contents to GetString, which would then throw.
        if (!Utf8.IsValid(line))
        {
            return "not valid UTF-8";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.ToArray(), new JsonDocumentOptions { MaxDepth = 2 });
        }
        catch (JsonException ex)
        {
            return $"not valid JSON: {ex.Message}";
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "not a JSON object";
            }

            if (!TryGetHex(root, "hash", out string stored) || !TryGetHex(root, "prev", out string prev))
            {
                return "missing a valid \"hash\" or \"prev\" field (64 lowercase hex digits each)";
            }

            string? missing = RequiredFields.FirstOrDefault(f => !root.TryGetProperty(f, out _));
            if (missing is not null)
            {
                return $"missing the \"{missing}\" field";
            }

            string? kind = root.GetProperty("kind").ValueKind == JsonValueKind.String ? root.GetProperty("kind").GetString() : null;
            if (kind is null || !Kinds.Contains(kind, StringComparer.Ordinal))
            {
                return $"unknown kind {root.GetProperty("kind").GetRawText()}";
            }

            // The hash covers the line's bytes up to the hash member, closed with '}' (see AuditLine).
            byte[] suffix = [.. AuditLine.HashMember, .. Encoding.ASCII.GetBytes(stored), (byte)'"', (byte)'}'];
            if (!line.EndsWith(suffix))
            {
                return "not in canonical form: the \"hash\" member is not last";
            }

            byte[] body = [.. line[..^suffix.Length], (byte)'}'];
            string computed = Convert.ToHexStringLower(SHA256.HashData(body));
            if (computed != stored)
            {
                return $"hash mismatch: stored {stored}, computed {computed} (the line was modified)";
            }

            if (prev != expectedPrev)
            {
                return $"prev mismatch: prev is {prev} but the previous line's hash is {expectedPrev} (a line was removed, inserted or reordered)";
            }

            hash = stored;
            return null;
        }
    }

    private static bool TryGetHex(JsonElement root, string name, out string value)
    {
        value = string.Empty;
        if (!root.TryGetProperty(name, out JsonElement element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString() ?? string.Empty;
        return value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
    }
}
