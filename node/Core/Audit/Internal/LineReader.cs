namespace FedMesh.Node.Audit.Internal;

/// <summary>Reads '\n'-terminated lines from a stream, never holding more than a fixed number of bytes per line.</summary>
internal sealed class LineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _line = new byte[maxLineBytes];
    private int _start;
    private int _end;

    internal enum Status
    {
        /// <summary>A complete line (without its newline).</summary>
        Line,

        /// <summary>No more bytes.</summary>
        End,

        /// <summary>Bytes after the last newline: the returned span holds them (up to the limit).</summary>
        Torn,

        /// <summary>A line longer than the limit; reading stops.</summary>
        TooLong,
    }

    internal Status Next(out ReadOnlySpan<byte> line)
    {
        int length = 0;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = stream.Read(_buffer, 0, _buffer.Length);
                if (_end == 0)
                {
                    line = _line.AsSpan(0, length);
                    return length == 0 ? Status.End : Status.Torn;
                }
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (newline < 0 ? _end : newline) - _start;
            if (length + take > _line.Length)
            {
                line = default;
                return Status.TooLong;
            }

            Array.Copy(_buffer, _start, _line, length, take);
            length += take;
            _start += take;
            if (newline >= 0)
            {
                _start++;
                line = _line.AsSpan(0, length);
                return Status.Line;
            }
        }
    }
}
