using System.IO.Pipelines;
using System.Threading.Channels;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;
using Microsoft.Extensions.Logging;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// An authenticated, encrypted connection over any <see cref="IDuplexPipe"/> (TCP, in-memory pipes, the
/// simulator). Carries opaque message bodies tagged with a <see cref="FrameType"/> (SPEC.md §2–3).
/// One read loop decrypts frames into a bounded channel (<see cref="Incoming"/>); one write loop drains a
/// bounded send queue, encrypts straight into the pipe and flushes once per batch. Any protocol violation,
/// timeout or transport failure closes the connection once, with a reason (<see cref="Completion"/>).
/// </summary>
public sealed partial class SecureConnection : IAsyncDisposable
{
    /// <summary>Flush a batch early once this many bytes are unflushed, so a long queue of 1 MiB chunks streams.</summary>
    private const int FlushThresholdBytes = 1024 * 1024;

    private readonly IDuplexPipe _pipe;
    private readonly ConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FrameProtector _sender;
    private readonly FrameProtector _receiver;
    private readonly Channel<OutgoingFrame> _outgoing;
    private readonly Channel<ReceivedFrame> _incoming;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<ProtocolException> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _idleTimer;
    private long _lastReceiveTimestamp;
    private int _disposed;

    /// <summary>Set once DisposeAsync has released the cancellation source and crypto state.</summary>
    private int _released;
    private ProtocolException? _closeReason;
    private IChunkSlotDirectory? _chunkSlots;
    private ByeMessage? _bye;
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;

    private SecureConnection(IDuplexPipe pipe, HandshakeResult session, ConnectionOptions options, TimeProvider time, ILogger logger)
    {
        _pipe = pipe;
        _options = options;
        _time = time;
        _logger = logger;
        Session = session;
        _sender = session.Simulated ? FrameProtector.Simulated(session.Suite) : new FrameProtector(session.Suite, session.SendKey);
        _receiver = session.Simulated ? FrameProtector.Simulated(session.Suite) : new FrameProtector(session.Suite, session.ReceiveKey);
        session.ClearKeys();
        _outgoing = Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(options.SendQueueFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _incoming = Channel.CreateBounded<ReceivedFrame>(new BoundedChannelOptions(options.ReceiveQueueFrames)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lastReceiveTimestamp = time.GetTimestamp();
        _idleTimer = time.CreateTimer(static s => ((SecureConnection)s!).OnIdleTimer(), this, options.IdleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Who is on the other side, the suite and the transcript hash.</summary>
    public HandshakeResult Session { get; }

    /// <summary>Bytes each frame of this connection adds to its body on the wire (header + this suite's tag).</summary>
    public int FrameOverhead => CipherSuites.FrameOverhead(Session.Suite);

    public PeerId RemotePeerId => Session.RemotePeerId;

    /// <summary>Decrypted frames in arrival order; completes when the connection closes. Dispose each frame.</summary>
    public ChannelReader<ReceivedFrame> Incoming => _incoming.Reader;

    /// <summary>Completes with the close reason: <see cref="ProtocolErrorCode.Shutdown"/> for an orderly close.</summary>
    public Task<ProtocolException> Completion => _completion.Task;

    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    /// <summary>
    /// Where the read loop decrypts DeltaChunk data straight into (a <see cref="Deltas.DeltaAssembler"/>, or a router
    /// over several by content id, <see cref="IChunkSlotDirectory"/>), delivered as <see cref="ReceivedFrame.PlacedChunk"/>; null (the default): every
    /// frame in a pooled buffer. Takes effect from the next frame the read loop opens (it runs ahead of the
    /// application by up to <see cref="ConnectionOptions.ReceiveQueueFrames"/> frames); only suites that open in parts
    /// (AEGIS-256 on AES-NI) use it, the others deliver every frame in a buffer.
    /// </summary>
    public IChunkSlotDirectory? ChunkSlots
    {
        get => Volatile.Read(ref _chunkSlots);
        set => Volatile.Write(ref _chunkSlots, value);
    }

    /// <summary>
    /// Queues one message body for sending; waits while the send queue is full. The body is copied, so the
    /// caller may reuse its buffer as soon as this returns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Handshake type, or the body exceeds the type's cap.</exception>
    /// <exception cref="ProtocolException">The connection is closed (carries the close reason).</exception>
    public async ValueTask SendAsync(FrameType type, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        if (FrameLimits.IsHandshake(type) || !FrameLimits.IsKnown(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "only application frame types travel in the secure channel");
        }

        if (body.Length > FrameLimits.MaxBody(type))
        {
            throw new ArgumentOutOfRangeException(nameof(body), body.Length, $"{type} bodies are at most {FrameLimits.MaxBody(type)} bytes");
        }

        await EnqueueAsync(OutgoingFrame.Copy(type, body.Span), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Encodes <paramref name="message"/> (<see cref="MessageCodec"/>) into a pooled send buffer and queues it;
    /// returns the body length. A <see cref="DeltaChunkMessage"/>'s data is not copied here: the write loop copies
    /// it once, straight into the frame it encrypts in place, so <see cref="DeltaChunkMessage.Data"/> must stay
    /// unchanged until the frame is written (chunks are slices of immutable payloads: the delta store's, or the
    /// encoder's). The bytes are still copied once before encryption, but a queued chunk holds a reference instead
    /// of a 1 MiB pooled copy (up to <see cref="ConnectionOptions.SendQueueFrames"/> of them per connection), and
    /// they are encrypted while the copy is still in cache.
    /// </summary>
    /// <exception cref="ArgumentException">A field breaks its cap (as <see cref="MessageCodec.Encode(WireMessage)"/>).</exception>
    /// <exception cref="ProtocolException">The connection is closed (carries the close reason).</exception>
    public async ValueTask<int> SendAsync(WireMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        OutgoingFrame frame;
        if (message is DeltaChunkMessage chunk)
        {
            byte[] head = MessageCodec.EncodePooledHead(chunk, out int headLength);
            frame = new OutgoingFrame(message.Type, head, headLength, chunk.Data);
        }
        else
        {
            byte[] buffer = MessageCodec.EncodePooled(message, out int length);
            frame = new OutgoingFrame(message.Type, buffer, length);
        }

        if (frame.Length > FrameLimits.MaxBody(message.Type))
        {
            frame.Return();
            throw new ArgumentOutOfRangeException(nameof(message), frame.Length, $"{message.Type} bodies are at most {FrameLimits.MaxBody(message.Type)} bytes");
        }

        await EnqueueAsync(frame, cancellationToken).ConfigureAwait(false);
        return frame.Length;
    }

    /// <summary>Queues a frame whose pooled buffer this connection now owns (returned on every path).</summary>
    private async ValueTask EnqueueAsync(OutgoingFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            await _outgoing.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            frame.Return();
            throw ClosedError();
        }
        catch
        {
            frame.Return();
            throw;
        }
    }

    /// <summary>
    /// Orderly close: frames already queued are still sent and flushed, then both directions end. Idempotent;
    /// the first reason given (here or by an abort) is the one reported.
    /// </summary>
    public async Task CloseAsync(ProtocolErrorCode code = ProtocolErrorCode.Shutdown, string reason = "closed by this node")
    {
        if (SetReason(new ProtocolException(code, reason)))
        {
            Log.Closed(_logger, RemotePeerId.Value, reason);

            // The peer learns why (SPEC.md §4.9): the write loop sends this Bye as the connection's last frame, after
            // the frames already queued. Set before the queue completes, so the write loop sees it when it drains.
            Volatile.Write(ref _bye, new ByeMessage(code, ReasonMessage.OneLine(reason)));
        }

        _outgoing.Writer.TryComplete();
        try
        {
            await _writeLoop.WaitAsync(CloseDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        if (Volatile.Read(ref _released) != 0)
        {
            // Already disposed (a close racing with disposal): both loops have ended; nothing left to cancel.
            return;
        }

        try
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        await _writeLoop.ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await CloseAsync(ProtocolErrorCode.Shutdown, "disposed").ConfigureAwait(false);

        // Frames nobody will read: their buffers go back to the pool, and placed chunks free their slots, which
        // would otherwise stay reserved for a frame that never reaches the assembler.
        while (_incoming.Reader.TryRead(out ReceivedFrame unread))
        {
            unread.Dispose();
        }

        await _idleTimer.DisposeAsync().ConfigureAwait(false);
        Volatile.Write(ref _released, 1);
        _abort.Dispose();
        _sender.Dispose();
        _receiver.Dispose();
    }

    /// <summary>Immediate close on a failure: both loops stop, queued frames are dropped.</summary>
    internal void Abort(ProtocolException reason)
    {
        if (SetReason(reason))
        {
            if (reason.Code == ProtocolErrorCode.Shutdown)
            {
                Log.Closed(_logger, RemotePeerId.Value, reason.Message);
            }
            else
            {
                Log.Aborted(_logger, RemotePeerId.Value, reason.Message);
            }
        }

        _outgoing.Writer.TryComplete();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Records the first close reason only (Interlocked), completes <see cref="Completion"/>.</summary>
    private bool SetReason(ProtocolException reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return false;
        }

        _completion.TrySetResult(reason);
        return true;
    }

    private ProtocolException ClosedError()
    {
        ProtocolException reason = Volatile.Read(ref _closeReason) ?? new ProtocolException(ProtocolErrorCode.Shutdown, "closed");
        return new ProtocolException(reason.Code, $"connection to {RemotePeerId} is closed ({reason.Message})", reason);
    }

    private void Start()
    {
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
    }
}
