using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FedMesh.Node.Audit.Internal;

/// <summary>
/// The canonical form of one audit line. A line is the JSON object
/// <c>{"time":…,"kind":…,"origin":…,"content_id":…,"seq":…,"l2_norm":…,"clip":…,"sigma":…,"decision":…,"reason":…,"prev":…,"hash":…}</c>
/// with no whitespace; <c>hash</c> is the lowercase hex SHA-256 of the same bytes without the
/// <c>,"hash":"…"</c> member (i.e. of the object ending at <c>prev</c>), and <c>prev</c> is the previous line's
/// hash (64 zeros for the first line). Hashing the exact bytes, rather than a re-serialisation, means any
/// change to a line, even of whitespace or number formatting, breaks the chain.
/// </summary>
internal static class AuditLine
{
    /// <summary>The <c>prev</c> of the first line.</summary>
    internal static readonly string Genesis = new('0', 64);

    /// <summary>Lines are well under 2 KiB (text fields are capped at 1 KiB); longer ones are rejected unread.</summary>
    internal const int MaxLineBytes = 64 * 1024;

    internal static readonly byte[] HashMember = ",\"hash\":\""u8.ToArray();

    /// <summary>Returns the full line (with trailing newline) and its hash.</summary>
    internal static (byte[] Line, string Hash) Encode(AuditRecord record, DateTimeOffset time, string prev)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("kind", KindText(record.Kind));
            json.WriteString("origin", Bounded(record.Origin, nameof(record.Origin)));
            json.WriteString("content_id", Bounded(record.ContentId, nameof(record.ContentId)));
            json.WriteNumber("seq", record.Sequence);
            WriteNumberOrNull(json, "l2_norm", record.L2Norm);
            WriteNumberOrNull(json, "clip", record.ClipNorm);
            WriteNumberOrNull(json, "sigma", record.NoiseMultiplier);
            json.WriteString("decision", Bounded(record.Decision, nameof(record.Decision)));
            if (record.Reason is null)
            {
                json.WriteNull("reason");
            }
            else
            {
                json.WriteString("reason", Bounded(record.Reason, nameof(record.Reason)));
            }

            json.WriteString("prev", prev);
            json.WriteEndObject();
        }

        byte[] body = buffer.ToArray();
        string hash = Convert.ToHexStringLower(SHA256.HashData(body));
        byte[] suffix = Encoding.ASCII.GetBytes($"{Encoding.ASCII.GetString(HashMember)}{hash}\"}}\n");
        byte[] line = new byte[body.Length - 1 + suffix.Length];
        body.AsSpan(0, body.Length - 1).CopyTo(line);
        suffix.CopyTo(line.AsSpan(body.Length - 1));
        return (line, hash);
    }

    internal static string KindText(AuditEventKind kind) => kind switch
    {
        AuditEventKind.Sent => "sent",
        AuditEventKind.Received => "received",
        AuditEventKind.Merged => "merged",
        AuditEventKind.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown audit event kind"),
    };

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Bounded(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value, field);
        if (value.Length <= AuditRecord.MaxFieldLength)
        {
            return value;
        }

        // Never split a surrogate pair: the JSON writer refuses invalid UTF-16.
        int length = char.IsHighSurrogate(value[AuditRecord.MaxFieldLength - 1]) ? AuditRecord.MaxFieldLength - 1 : AuditRecord.MaxFieldLength;
        return value[..length];
    }
}
