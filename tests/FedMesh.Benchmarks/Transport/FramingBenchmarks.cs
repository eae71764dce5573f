using System.Buffers;
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

    private static ReadOnlySequence<byte> Chunked(ReadOnlyMemory<byte> data)
    {
        var first = new Segment(data[..SegmentBytes], 0);
        Segment last = first;
        for (int offset = SegmentBytes; offset < data.Length; offset += SegmentBytes)
        {
            last = last.Append(data.Slice(offset, Math.Min(SegmentBytes, data.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
