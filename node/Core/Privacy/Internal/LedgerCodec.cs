using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FedMesh.Node.Privacy.Internal;

/// <summary>
/// Line format of the ledger: <c>CHECKSUM SP JSON LF</c>, CHECKSUM = lowercase hex of the first 8 bytes of
/// SHA-256(JSON). 64 bits detect any torn or bit-flipped line with probability 1 − 2⁻⁶⁴; SHA-256 is already in
/// the box and the ledger writes one line per release, so speed is irrelevant. Human-readable on purpose:
/// an auditor can read the file with `less`.
/// </summary>
internal static class LedgerCodec
{
    /// <summary>Longest line accepted: a record is ~300 bytes; 4 KiB bounds parsing of a damaged file.</summary>
    public const int MaxLineBytes = 4096;

    /// <summary>16 hex characters of checksum.</summary>
    private const int ChecksumHexLength = 16;

    public static byte[] Encode(LedgerRecord record)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(record, LedgerJsonContext.Default.LedgerRecord);
        string checksum = Checksum(json);
        var line = new byte[ChecksumHexLength + 1 + json.Length + 1];
        Encoding.ASCII.GetBytes(checksum, line);
        line[ChecksumHexLength] = (byte)' ';
        json.CopyTo(line, ChecksumHexLength + 1);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>Decodes one line (without its LF); on failure says what was wrong.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> line, [NotNullWhen(true)] out LedgerRecord? record, out string error)
    {
        record = null;
        if (line.Length > MaxLineBytes)
        {
            error = $"line is {line.Length} bytes, longer than the {MaxLineBytes}-byte limit";
            return false;
        }

        if (line.Length < ChecksumHexLength + 3 || line[ChecksumHexLength] != (byte)' ')
        {
            error = "line does not start with a 16-hex-digit checksum and a space";
            return false;
        }

        ReadOnlySpan<byte> json = line[(ChecksumHexLength + 1)..];
        if (!line[..ChecksumHexLength].SequenceEqual(Encoding.ASCII.GetBytes(Checksum(json))))
        {
            error = "checksum mismatch (torn or altered record)";
            return false;
        }

        try
        {
            record = JsonSerializer.Deserialize(json, LedgerJsonContext.Default.LedgerRecord);
        }
        catch (JsonException ex)
        {
            error = $"record is not valid JSON: {ex.Message}";
            return false;
        }

        if (record is null)
        {
            error = "record is null";
            return false;
        }

        error = Validate(record) ?? string.Empty;
        return error.Length == 0;
    }

    private static string? Validate(LedgerRecord record)
    {
        if (record.Version != 1)
        {
            return $"unsupported record version {record.Version}";
        }

        if (record.Kind is not (LedgerRecord.ReleaseKind or LedgerRecord.TornKind or LedgerRecord.LostKind))
        {
            return $"unknown record kind '{record.Kind}'";
        }

        if (record.Level is not (null or PrivacyLevels.Record or PrivacyLevels.Node))
        {
            return $"unknown privacy level '{record.Level}'";
        }

        if (record.Kind == LedgerRecord.TornKind && (record.TornOffset is not >= 0 || record.TornLength is not >= 0))
        {
            return "torn marker lacks tornOffset/tornLength";
        }

        if (record.Kind == LedgerRecord.LostKind && record.LostRecords is not > 0)
        {
            return "lost marker lacks a positive lost count";
        }

        return record.Release.Validate();
    }

    /// <summary>The hash a <see cref="Storage.LogAnchor"/> records for a line: lowercase hex SHA-256 of the line
    /// without its LF (checksum included, so the anchor pins the exact bytes).</summary>
    public static string LineHash(ReadOnlySpan<byte> line) => Convert.ToHexStringLower(SHA256.HashData(line));

    private static string Checksum(ReadOnlySpan<byte> json)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(json, hash);
        return Convert.ToHexStringLower(hash[..(ChecksumHexLength / 2)]);
    }
}
