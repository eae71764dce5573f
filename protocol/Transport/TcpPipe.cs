using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// A connected TCP socket as an <see cref="IDuplexPipe"/>: one loop receives into a bounded pipe, one loop sends
/// what the application writes. Socket failures complete the pipe with a classified <see cref="TransportException"/>.
/// </summary>
public sealed class TcpPipe : IDuplexPipe, IAsyncDisposable
{
    /// <summary>
    /// Pause a writer once this many bytes are unconsumed. Must exceed the largest frame (1 MiB + 264 B, SPEC §7):
    /// a frame is only consumed whole, so a smaller threshold would deadlock. 4 MiB is ~4 frames in flight.
    /// </summary>
    public const long PauseThreshold = 4L * 1024 * 1024;

    /// <summary>Resume at half the pause threshold (Kestrel's default ratio) to avoid pausing on every write.</summary>
    public const long ResumeThreshold = PauseThreshold / 2;

    /// <summary>Least free space to receive into while little data is waiting: fills 64 KiB segments densely.</summary>
    private const int ReceiveChunk = 64 * 1024;

    /// <summary>
    /// Free space asked for when at least <see cref="BulkWaitingBytes"/> are already waiting in the kernel: 2 MiB
    /// holds a whole 1 MiB DeltaChunk frame, so most chunk payloads arrive contiguous and are decrypted straight
    /// from the pipe (measured over loopback: ~95 → ~70 ms of CPU per 64 MiB). Asking for it only when a receive
    /// will fill at least half of it keeps rented memory under twice the unconsumed bytes on slow links too.
    /// </summary>
    private const int BulkReceiveChunk = 2 * 1024 * 1024;

    private const int BulkWaitingBytes = BulkReceiveChunk / 2;

    private static readonly PipeOptions Options = new(
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: ReceiveChunk,
        useSynchronizationContext: false);

    /// <summary>
    /// How long disposal lets queued bytes drain before the socket is closed anyway: bounded, because a peer
    /// that stopped reading must not hold disposal forever; 5 s covers a few RTTs on a slow link.
    /// </summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly Pipe _receive = new(Options);
    private readonly Pipe _send = new(Options);
    private readonly string _remote;
    private readonly Task _receiveLoop;
    private readonly Task _sendLoop;

    internal TcpPipe(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _remote = socket.RemoteEndPoint?.ToString() ?? "unknown peer";
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _sendLoop = Task.Run(SendLoopAsync);
    }

    public PipeReader Input => _receive.Reader;

    public PipeWriter Output => _send.Writer;

    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>Connects, classifying failures (refused, unreachable, timed out, …) as <see cref="TransportException"/>.</summary>
    public static async Task<TcpPipe> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new TcpPipe(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw TransportException.From(e, $"connect to {endPoint}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _receive.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(_socket.Available >= BulkWaitingBytes ? BulkReceiveChunk : ReceiveChunk);
                int read = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                FlushResult result = await writer.FlushAsync().ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException e)
        {
            error = TransportException.From(e, $"receive from {_remote}");
        }
        catch (ObjectDisposedException)
        {
            error = new TransportException(TransportErrorKind.Reset, $"receive from {_remote}: socket closed");
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _send.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;

                // One segment per read, handed back to the pipe as soon as the kernel has it: the writer then
                // resumes once the pipe drains below its resume threshold, while later segments are still being
                // sent. Sending everything the read returned before advancing (as this loop used to) kept up to the
                // whole pause threshold (4 MiB, four 1 MiB frames) unconsumed, so the encrypting writer and this loop
                // took turns instead of overlapping.
                ReadOnlyMemory<byte> segment = buffer.IsEmpty ? ReadOnlyMemory<byte>.Empty : buffer.First;
                for (ReadOnlyMemory<byte> rest = segment; !rest.IsEmpty;)
                {
                    int sent = await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                    rest = rest[sent..];
                }

                reader.AdvanceTo(buffer.GetPosition(segment.Length));
                if ((result.IsCompleted || result.IsCanceled) && segment.Length == buffer.Length)
                {
                    break;
                }
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e)
        {
            error = TransportException.From(e, $"send to {_remote}");
        }
        catch (ObjectDisposedException)
        {
            error = new TransportException(TransportErrorKind.Reset, $"send to {_remote}: socket closed");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ProtocolException)
        {
            // The application completed its writer with an error (a failed handshake completes it with its
            // ProtocolException): abort the socket. ProtocolException used to escape this filter, so the loop
            // faulted without closing the socket, DisposeAsync rethrew before disposing it, and the peer (e.g. a
            // node refused by a closed mesh) held a dead session until its Hello timeout.
            error = e;
        }

        await reader.CompleteAsync(error).ConfigureAwait(false);
        if (error is not null)
        {
            _socket.Close(0);
        }
    }

    /// <summary>Closes the socket and waits for both loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _send.Writer.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _sendLoop.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        _socket.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        await _receive.Reader.CompleteAsync().ConfigureAwait(false);
    }
}
