using System.Globalization;
using System.Text;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Storage;

/// <summary>
/// The node's own delta sequence counter on disk (<c>state/sequence</c>, SPEC.md §10 "Sequence"): the last sequence
/// it released, as 1 to 19 ASCII decimal digits and an optional LF. Written atomically, mode 0600, before the delta
/// carrying that sequence is published (write-ahead), so the file is never behind what peers have seen.
/// </summary>
/// <remarks>
/// Why reuse must never happen: a peer keeps the highest sequence it accepted per origin and drops anything not
/// strictly greater as a replay (§5.6), so after a reuse our new deltas would be silently dropped mesh-wide. A
/// damaged file is therefore never ignored (it used to be: random bytes failed to parse and the node restarted its
/// count from the clock alone). <see cref="Resume"/> recovers from it by resuming above every sequence the node is
/// known to have used: the highest one its audit log records as sent, and the current Unix time in ms (sequences
/// are ≥ the release time in ms, so a clock that has not gone backwards is past all of them).
/// </remarks>
public static class SequenceFile
{
    /// <summary>Largest value accepted: 2^63 − 1, 19 digits. A release uses max(last + 1, now in ms), so anything
    /// near 2^64 would wrap to a small, reused number; real values are Unix milliseconds (~1.8 × 10^12).</summary>
    public const ulong MaxValue = long.MaxValue;

    /// <summary>19 digits and a LF: longer content is not a sequence file.</summary>
    private const int MaxBytes = 20;

    /// <summary>Records <paramref name="sequence"/> (atomically, mode 0600).</summary>
    public static void Write(string path, ulong sequence) =>
        AtomicFile.Write(path, Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture) + "\n"), StateDirectory.FileMode);

    /// <summary>
    /// Reads the file: null with a null problem when it does not exist, the value when it is well formed, or null
    /// and what is wrong with it.
    /// </summary>
    public static ulong? Read(string path, out string? problem)
    {
        problem = null;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > MaxBytes)
        {
            problem = $"{info.Length} bytes, longer than a sequence number ({MaxBytes})";
            return null;
        }

        return Parse(File.ReadAllBytes(path), out problem);
    }

    /// <summary>Parses the content (grammar: DIGIT{1,19} [LF]); null with the problem when malformed.</summary>
    public static ulong? Parse(ReadOnlySpan<byte> content, out string? problem)
    {
        problem = null;
        ReadOnlySpan<byte> digits = content.Length > 0 && content[^1] == (byte)'\n' ? content[..^1] : content;
        if (digits.Length == 0)
        {
            problem = "empty";
            return null;
        }

        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                problem = $"byte 0x{b:x2} is not a decimal digit";
                return null;
            }
        }

        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value > MaxValue)
        {
            problem = $"{Encoding.ASCII.GetString(digits)} is above the largest sequence accepted ({MaxValue})";
            return null;
        }

        return value;
    }

    /// <summary>
    /// The sequence to resume after (the next release uses a larger one): the file's value when it is well formed;
    /// when it is missing or damaged (<paramref name="fromFile"/> null), the largest of the highest sequence the audit
    /// log records as sent and the current time in ms, so no sequence the node is known to have used comes again.
    /// </summary>
    public static ulong Resume(ulong? fromFile, Func<ulong> highestAudited, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(highestAudited);
        return fromFile ?? Math.Max(highestAudited(), (ulong)Math.Max(0, now.ToUnixTimeMilliseconds()));
    }
}
