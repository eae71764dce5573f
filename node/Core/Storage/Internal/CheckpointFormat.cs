using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FedMesh.Node.Storage.Internal;

/// <summary>
/// The checkpoint file format, self-checking so that corruption and truncation are detected on read:
/// <code>
/// "FMCKPT01" (8 bytes) ‖ u32 BE header length H ‖ H bytes header JSON {"round","created","metadata"}
///   ‖ u64 BE payload length P ‖ P bytes payload ‖ SHA-256 of everything before it (32 bytes)
/// </code>
/// Payload length and hash are inside the one file, so the atomic rename publishes them together with the data.
/// </summary>
internal static class CheckpointFormat
{
    /// <summary>Header JSON limit: metadata is a handful of small strings (loss, schema hash, base ref).</summary>
    internal const int MaxHeaderBytes = 64 * 1024;

    private const int HashBytes = 32;

    private static readonly byte[] Magic = "FMCKPT01"u8.ToArray();

    /// <summary>Bytes around the payload and header: magic, two lengths and the trailing hash.</summary>
    internal static int Overhead => Magic.Length + sizeof(uint) + sizeof(ulong) + HashBytes;

    internal static byte[] Encode(long round, DateTimeOffset created, IReadOnlyDictionary<string, string> metadata, ReadOnlySpan<byte> payload)
    {
        byte[] header = JsonSerializer.SerializeToUtf8Bytes(new Header(round, created, new Dictionary<string, string>(metadata)), HeaderContext.Default.Header);
        if (header.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"checkpoint metadata is {header.Length} bytes as JSON; at most {MaxHeaderBytes} are allowed", nameof(metadata));
        }

        byte[] file = new byte[Overhead + header.Length + payload.Length];
        Span<byte> span = file;
        Magic.CopyTo(span);
        int at = Magic.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)header.Length);
        at += sizeof(uint);
        header.CopyTo(span[at..]);
        at += header.Length;
        BinaryPrimitives.WriteUInt64BigEndian(span[at..], (ulong)payload.Length);
        at += sizeof(ulong);
        payload.CopyTo(span[at..]);
        at += payload.Length;
        SHA256.HashData(span[..at], span[at..]);
        return file;
    }

    /// <summary>Decodes and checks a whole file; returns null with <paramref name="problem"/> saying what is wrong.</summary>
    internal static Checkpoint? Decode(ReadOnlySpan<byte> file, string path, out string? problem)
    {
        problem = null;
        if (file.Length < Overhead || !file[..Magic.Length].SequenceEqual(Magic))
        {
            problem = file.Length < Overhead
                ? $"truncated: {file.Length} bytes is shorter than the {Overhead}-byte frame"
                : "not a FedMesh checkpoint (bad magic)";
            return null;
        }

        int at = Magic.Length;
        uint headerLength = BinaryPrimitives.ReadUInt32BigEndian(file[at..]);
        at += sizeof(uint);
        if (headerLength > MaxHeaderBytes || at + headerLength + sizeof(ulong) > file.Length)
        {
            problem = headerLength > MaxHeaderBytes
                ? $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit"
                : $"truncated: header length {headerLength} runs past the end of the {file.Length}-byte file";
            return null;
        }

        ReadOnlySpan<byte> header = file.Slice(at, (int)headerLength);
        at += (int)headerLength;
        ulong payloadLength = BinaryPrimitives.ReadUInt64BigEndian(file[at..]);
        at += sizeof(ulong);
        long expected = (long)at + HashBytes + (long)Math.Min(payloadLength, long.MaxValue / 2);
        if (payloadLength > long.MaxValue / 2 || expected != file.Length)
        {
            problem = expected > file.Length
                ? $"truncated: the header announces {payloadLength} payload bytes but the file holds {file.Length - at - HashBytes}"
                : $"has {file.Length - expected} unexpected bytes after the payload";
            return null;
        }

        int hashAt = file.Length - HashBytes;
        Span<byte> actual = stackalloc byte[HashBytes];
        SHA256.HashData(file[..hashAt], actual);
        if (!actual.SequenceEqual(file[hashAt..]))
        {
            problem = $"SHA-256 mismatch: stored {Convert.ToHexStringLower(file[hashAt..])}, computed {Convert.ToHexStringLower(actual)}";
            return null;
        }

        Header? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(header, HeaderContext.Default.Header);
        }
        catch (JsonException ex)
        {
            problem = $"header is not valid JSON: {ex.Message}";
            return null;
        }

        if (parsed is null)
        {
            problem = "header is empty";
            return null;
        }

        return new Checkpoint(parsed.Round, parsed.Created, parsed.Metadata ?? [], file[at..hashAt].ToArray(), path);
    }

    internal sealed record Header(long Round, DateTimeOffset Created, Dictionary<string, string>? Metadata);
}
