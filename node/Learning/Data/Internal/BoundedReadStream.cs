namespace FedMesh.Node.Data.Internal;

/// <summary>
/// A read-only view of a stream that fails with <see cref="ReadLimitExceededException"/> once more than
/// <c>limit</c> bytes have been read. Wrapped around a GZip stream it turns a decompression bomb (a few KiB that
/// inflate to many GiB) into a clean, counted skip instead of an out-of-memory or a full disk.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _read += n;
        if (_read > limit)
        {
            throw new ReadLimitExceededException(limit);
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Thrown by <see cref="BoundedReadStream"/> when its byte budget is exhausted.</summary>
internal sealed class ReadLimitExceededException(long limit)
    : IOException($"more than {limit} bytes after decompression")
{
    public long Limit { get; } = limit;
}
