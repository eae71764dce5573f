using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using FedMesh.Protocol.Wire;

namespace FedMesh.Benchmarks.Transport;

/// <summary>
/// <see cref="FrameReader.TryRead"/> over a 4 MiB buffer of frames delivered in 64 KiB segments (what a socket
/// pipe hands the read loop): small Have frames (header cost dominates) and 1 MiB chunks (segment walking).
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private const int BufferBytes = 4 * 1024 * 1024;
    private const int SegmentBytes = 64 * 1024;

    private ReadOnlySequence<byte> _buffer;

    [Params(64, 1024 * 1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        FrameType type = PayloadBytes > FrameLimits.HaveWant ? FrameType.DeltaChunk : FrameType.Have;
        var writer = new ArrayBufferWriter<byte>();
        while (writer.WrittenCount + FrameHeader.Size + PayloadBytes <= BufferBytes)
        {
            FrameWriter.Write(writer, type, new byte[PayloadBytes]);
        }

        _buffer = Chunked(writer.WrittenMemory);
    }

    [Benchmark]
    public int TryRead_all_frames()
    {
        ReadOnlySequence<byte> buffer = _buffer;
        int frames = 0;
        while (FrameReader.TryRead(ref buffer, out _))
        {
            frames++;
        }

        return frames;
    }

    /// <summary>The bytes as a pipe hands them to a reader: 64 KiB segments.</summary>
    private static ReadOnlySequence<byte> Chunked(ReadOnlyMemory<byte> data)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, minimumSegmentSize: SegmentBytes));
        for (int offset = 0; offset < data.Length; offset += SegmentBytes)
        {
            ReadOnlySpan<byte> piece = data.Span.Slice(offset, Math.Min(SegmentBytes, data.Length - offset));
            piece.CopyTo(pipe.Writer.GetSpan(SegmentBytes));
            pipe.Writer.Advance(piece.Length);
        }

        pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        return pipe.Reader.TryRead(out ReadResult result) ? result.Buffer : throw new InvalidOperationException("pipe is empty");
    }
}
