using System.Text;
using System.Text.Unicode;
using FedMesh.Node.Data.Internal;

namespace FedMesh.Node.Data;

/// <summary>Readers of the two document formats.</summary>
public sealed partial class LocalDataLoader
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>First buffer for a .txt document of unknown (compressed) size: 64 KiB, a few pages of text.</summary>
    private const int InitialTextBufferBytes = 64 * 1024;

    private (DataSkipReason, string)? ReadTextDocument(Stream stream, long sizeHint, string relative, LoadRun run)
    {
        // One byte over the bound tells "exactly at the bound" from "over it" without knowing the decompressed size.
        int limit = (int)Math.Min(_options.MaxTextFileBytes + 1L, Array.MaxLength);
        byte[] buffer = new byte[(int)Math.Min(limit, Math.Max(sizeHint + 1, InitialTextBufferBytes))];
        int length = 0;
        int n;
        while ((n = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
            if (length == buffer.Length)
            {
                if (length == limit)
                {
                    return (DataSkipReason.FileTooLarge, $"document over {_options.MaxTextFileBytes} bytes");
                }

                Array.Resize(ref buffer, (int)Math.Min(limit, 2L * buffer.Length));
            }
        }

        var bytes = buffer.AsSpan(0, length);
        if (bytes.Contains((byte)0))
        {
            return (DataSkipReason.Binary, "contains NUL bytes");
        }

        if (bytes.StartsWith(Utf8Bom))
        {
            bytes = bytes[Utf8Bom.Length..];
        }

        if (!Utf8.IsValid(bytes))
        {
            return (DataSkipReason.InvalidUtf8, "not UTF-8 text");
        }

        string text = Encoding.UTF8.GetString(bytes);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (DataSkipReason.Empty, "only whitespace");
        }

        Add(relative, text, run);
        return null;
    }

    private (DataSkipReason, string)? ReadJsonLines(Stream stream, string relative, LoadRun run)
    {
        using var reader = new Utf8LineReader(stream, _options.MaxLineBytes);
        while (!run.Full && reader.TryReadLine(out var memory, out bool tooLong))
        {
            var line = memory.Span;
            if (reader.LineNumber == 1 && line.StartsWith(Utf8Bom))
            {
                line = line[Utf8Bom.Length..];
            }

            DataSkipReason? skip = null;
            string? text = null;
            if (tooLong)
            {
                skip = DataSkipReason.LineTooLong;
            }
            else if (line.Contains((byte)0))
            {
                // A NUL byte is never in JSON text: the file is binary (or a different format) as a whole.
                return (DataSkipReason.Binary, $"NUL byte on line {reader.LineNumber}");
            }
            else if (line.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }
            else if (!Utf8.IsValid(line))
            {
                skip = DataSkipReason.InvalidUtf8;
            }
            else
            {
                skip = JsonLineExtractor.TryExtract(line, _options, _redactor.DroppedJsonFields,
                        name => run.FileTally.Add(Redaction.RedactionRules.JsonField(name)), out text) switch
                {
                    JsonLineExtractor.Result.Ok => null,
                    JsonLineExtractor.Result.TooDeep => DataSkipReason.JsonTooDeep,
                    JsonLineExtractor.Result.NoText => DataSkipReason.Empty,
                    _ => DataSkipReason.MalformedJson,
                };
            }

            if (skip is { } reason)
            {
                run.SkipDocument(reason, $"{relative}:{reader.LineNumber}", string.Empty);
                Log.LineSkipped(_logger, relative, reader.LineNumber, reason);
                continue;
            }

            Add($"{relative}:{reader.LineNumber}", text!, run);
        }

        return null;
    }
}
