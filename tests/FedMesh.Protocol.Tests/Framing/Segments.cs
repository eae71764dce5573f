using System.Buffers;

namespace FedMesh.Protocol.Tests.Framing;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s from a byte array cut at given points.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToArray();
        if (bounds.Length == 1)
        {
            return new ReadOnlySequence<byte>(data);
        }

        Segment first = new(data.AsMemory(0, bounds[0]), 0);
        Segment last = first;
        for (int i = 1; i < bounds.Length; i++)
        {
            last = last.Append(data.AsMemory(bounds[i - 1], bounds[i] - bounds[i - 1]));
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
