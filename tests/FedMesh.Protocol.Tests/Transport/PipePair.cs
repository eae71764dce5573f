using System.Buffers;
using System.IO.Pipelines;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Transport;

/// <summary>In-memory connection ends, optionally through a frame-aware man in the middle.</summary>
internal static class PipePair
{
    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    public static (IDuplexPipe A, IDuplexPipe B) Create()
    {
        var aToB = new Pipe();
        var bToA = new Pipe();
        return (new Duplex(bToA.Reader, aToB.Writer), new Duplex(aToB.Reader, bToA.Writer));
    }

    /// <summary>
    /// A→B traffic passes a relay that sees whole frames; <paramref name="rewrite"/> maps the list of frames
    /// (header ‖ payload) of each read to what B receives. B→A is passed through.
    /// </summary>
    public static (IDuplexPipe A, IDuplexPipe B, Task Relay) CreateWithRelay(Func<int, byte[], IEnumerable<byte[]>> rewrite)
    {
        var aOut = new Pipe();
        var bIn = new Pipe();
        var bToA = new Pipe();
        Task relay = Task.Run(async () =>
        {
            int index = 0;
            try
            {
                while (true)
                {
                    ReadResult result = await aOut.Reader.ReadAsync();
                    ReadOnlySequence<byte> buffer = result.Buffer;
                    while (true)
                    {
                        ReadOnlySequence<byte> before = buffer;
                        if (!FrameReader.TryRead(ref buffer, out _))
                        {
                            break;
                        }

                        byte[] frame = before.Slice(0, before.Length - buffer.Length).ToArray();
                        foreach (byte[] outFrame in rewrite(index++, frame))
                        {
                            await bIn.Writer.WriteAsync(outFrame);
                        }
                    }

                    aOut.Reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is ProtocolException or InvalidOperationException or IOException)
            {
            }

            await bIn.Writer.CompleteAsync();
            await aOut.Reader.CompleteAsync();
        });
        return (new Duplex(bToA.Reader, aOut.Writer), new Duplex(bIn.Reader, bToA.Writer), relay);
    }

    /// <summary>
    /// A→B bytes are forwarded in pieces of at most <paramref name="pieceBytes"/>, each flushed on its own, as a
    /// socket delivers a large frame in many small receives; B→A is passed through.
    /// </summary>
    public static (IDuplexPipe A, IDuplexPipe B, Task Relay) CreateTrickling(int pieceBytes)
    {
        var aOut = new Pipe();
        var bIn = new Pipe();
        var bToA = new Pipe();
        Task relay = Task.Run(async () =>
        {
            while (true)
            {
                ReadResult result = await aOut.Reader.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    for (int at = 0; at < segment.Length; at += pieceBytes)
                    {
                        await bIn.Writer.WriteAsync(segment.Slice(at, Math.Min(pieceBytes, segment.Length - at)));
                    }
                }

                aOut.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            await bIn.Writer.CompleteAsync();
            await aOut.Reader.CompleteAsync();
        });
        return (new Duplex(bToA.Reader, aOut.Writer), new Duplex(bIn.Reader, bToA.Writer), relay);
    }
}
