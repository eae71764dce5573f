using System.Buffers;

namespace FedMesh.Node.Data.Internal;

/// <summary>
/// Reads '\n'-terminated lines of raw bytes from a stream without ever holding more than one line (bounded by
/// <c>maxLineBytes</c>) plus one read buffer in memory. A longer line is not buffered: its bytes are discarded up to
/// the next '\n' and it is reported as too long, so a single hostile line cannot exhaust memory. Pooled buffers are
/// cleared when returned: they held unredacted bytes.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    /// <summary>Read granularity: large enough to amortise syscalls / gzip blocks, small enough to stay out of the LOH.</summary>
    private const int ReadChunkBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly byte[] _chunk;
    private byte[] _line;
    private int _chunkStart;
    private int _chunkEnd;
    private bool _endOfStream;

    public Utf8LineReader(Stream stream, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _chunk = ArrayPool<byte>.Shared.Rent(ReadChunkBytes);
        _line = ArrayPool<byte>.Shared.Rent(Math.Min(maxLineBytes, ReadChunkBytes));
    }

    /// <summary>1-based number of the line last returned by <see cref="TryReadLine"/>.</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// Reads the next line (without its '\n' or a trailing '\r'). Returns false at end of stream.
    /// <paramref name="tooLong"/> is true when the line exceeded the bound; <paramref name="line"/> is then empty.
    /// The returned memory is valid until the next call.
    /// </summary>
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool tooLong)
    {
        int length = 0;
        tooLong = false;
        bool sawAny = false;
        while (true)
        {
            if (_chunkStart == _chunkEnd)
            {
                if (_endOfStream || !Fill())
                {
                    if (!sawAny)
                    {
                        line = default;
                        return false;
                    }

                    break;
                }
            }

            sawAny = true;
            var available = _chunk.AsSpan(_chunkStart, _chunkEnd - _chunkStart);
            int newline = available.IndexOf((byte)'\n');
            var piece = newline >= 0 ? available[..newline] : available;
            if (!tooLong)
            {
                if (length + piece.Length > _maxLineBytes)
                {
                    tooLong = true;
                }
                else
                {
                    EnsureLineCapacity(length + piece.Length);
                    piece.CopyTo(_line.AsSpan(length));
                    length += piece.Length;
                }
            }

            _chunkStart += newline >= 0 ? newline + 1 : available.Length;
            if (newline >= 0)
            {
                break;
            }
        }

        LineNumber++;
        if (tooLong)
        {
            line = default;
            return true;
        }

        if (length > 0 && _line[length - 1] == (byte)'\r')
        {
            length--;
        }

        line = _line.AsMemory(0, length);
        return true;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_chunk, clearArray: true);
        ArrayPool<byte>.Shared.Return(_line, clearArray: true);
    }

    private bool Fill()
    {
        int read = _stream.Read(_chunk, 0, ReadChunkBytes);
        _chunkStart = 0;
        _chunkEnd = read;
        if (read == 0)
        {
            _endOfStream = true;
            return false;
        }

        return true;
    }

    private void EnsureLineCapacity(int needed)
    {
        if (needed <= _line.Length)
        {
            return;
        }

        // Doubling keeps copies amortised O(1) per byte; the cap is the line bound itself.
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxLineBytes, Math.Max(needed, _line.Length * 2)));
        _line.AsSpan().CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_line, clearArray: true);
        _line = bigger;
    }
}
