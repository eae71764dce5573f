using System.Threading.Channels;
using FedMesh.Protocol;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Transport;
using FedMesh.Protocol.Wire;

namespace FedMesh.Node.Hosting;

/// <summary>
/// One authenticated connection seen from the node: a bounded outgoing message queue drained by one writer task
/// (messages are encoded only when written, so queued chunks reference the delta store without copies), and
/// byte counters. Reading is done by the runtime's pump.
/// </summary>
internal sealed class PeerSession : IAsyncDisposable
{
    /// <summary>
    /// Outgoing messages queued per peer. A full window of chunks (64) per transfer times a few concurrent transfers
    /// plus Haves fits easily; a peer that lets 8,192 messages pile up is not reading and is dropped as overloaded.
    /// </summary>
    public const int OutgoingCapacity = 8192;

    /// <summary>Bytes a frame adds to its body on the wire: the 8-byte header and the negotiated suite's AEAD tag
    /// (SPEC.md §3; 16 bytes, 32 for AEGIS-256), from <see cref="Protocol.Security.CipherSuites.FrameOverhead"/>.</summary>
    public int FrameOverhead => Connection.FrameOverhead;

    private readonly Channel<WireMessage> _outgoing = Channel.CreateBounded<WireMessage>(
        new BoundedChannelOptions(OutgoingCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _writer;
    private readonly Action<long>? _sent;
    private readonly TimeProvider _time;
    private long _bytesOut;
    private long _bytesIn;
    private long _lastReceivedTicks;
    private long _lastTransferTicks;
    private int _closedLocally;

    /// <param name="sent">Told the wire bytes of every message written (the node's totals and /metrics count them,
    /// so they survive the session).</param>
    public PeerSession(SecureConnection connection, bool initiator, string address, TimeProvider time, Action<long>? sent = null)
    {
        Connection = connection;
        Initiator = initiator;
        Address = address;
        _sent = sent;
        _time = time;
        Established = time.GetUtcNow();
        _lastReceivedTicks = Established.UtcTicks;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>When the handshake completed.</summary>
    public DateTimeOffset Established { get; }

    /// <summary>When the last frame arrived (the handshake counts as one).</summary>
    public DateTimeOffset LastReceived => new(Interlocked.Read(ref _lastReceivedTicks), TimeSpan.Zero);

    /// <summary>When a frame of a delta transfer (Want, DeltaManifest, DeltaChunk; SPEC.md §9.4) last crossed this
    /// session in either direction; <see cref="DateTimeOffset.MinValue"/> before any.</summary>
    public DateTimeOffset LastTransfer => new(Interlocked.Read(ref _lastTransferTicks), TimeSpan.Zero);

    /// <summary>Messages queued and not yet written.</summary>
    public int Queued => _outgoing.Reader.Count;

    /// <summary>Notes a transfer frame (<see cref="IsTransfer(FrameType)"/>) received or sent now.</summary>
    public void TransferSeen() => Interlocked.Exchange(ref _lastTransferTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>Frames that belong to a delta transfer: a session carrying them is mid-transfer.</summary>
    public static bool IsTransfer(FrameType type) => type is FrameType.Want or FrameType.DeltaManifest or FrameType.DeltaChunk;

    public SecureConnection Connection { get; }

    public PeerId Peer => Connection.RemotePeerId;

    public bool Initiator { get; }

    public string Address { get; }

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Counts a received frame and notes when it arrived.</summary>
    public void CountIn(long bytes)
    {
        Interlocked.Add(ref _bytesIn, bytes);
        Interlocked.Exchange(ref _lastReceivedTicks, _time.GetUtcNow().UtcTicks);
    }

    /// <summary>Queues a message; false when the queue is full (the caller drops the peer) or the session is closing
    /// (<see cref="IsClosing"/>: nothing more goes out after the Bye).</summary>
    public bool TrySend(WireMessage message) => _outgoing.Writer.TryWrite(message);

    /// <summary>Set once <see cref="CloseAsync"/> or disposal began: a refused send then is not a slow reader.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    private int _closing;

    /// <summary>Membership accepted the peer's Hello (an inbound session under the cap, or any outbound one); a session
    /// the inbound cap refuses never is (SPEC.md §9.10). Set on the gossip actor, read anywhere.</summary>
    internal bool Admitted => Volatile.Read(ref _admitted) != 0;

    private int _admitted;

    internal void Admit() => Volatile.Write(ref _admitted, 1);

    /// <summary>Whether this is the session the gossip engine was last told of for its peer (ConnectionManager's
    /// engine sessions; read and written on the gossip actor only). A flag beside that table so that every delivered
    /// frame is checked without a lookup by peer id.</summary>
    internal bool IsEngineSession { get; set; }

    /// <summary>True once this node closed the connection (as opposed to the peer or the network).</summary>
    public bool ClosedLocally => Volatile.Read(ref _closedLocally) != 0;

    public async Task CloseAsync(ProtocolErrorCode code, string reason)
    {
        Volatile.Write(ref _closing, 1);
        Interlocked.Exchange(ref _closedLocally, 1);
        _outgoing.Writer.TryComplete();
        await Connection.CloseAsync(code, reason).ConfigureAwait(false);
    }

    /// <summary>
    /// Orderly close after the messages already queued here are written, so they reach the peer before the Bye (a
    /// refused newcomer must get the peer list it is refused with). Waits at most <paramref name="drain"/> for the
    /// queue: a peer that does not read is closed anyway.
    /// </summary>
    public async Task CloseAfterQueuedAsync(ProtocolErrorCode code, string reason, TimeSpan drain)
    {
        Volatile.Write(ref _closing, 1);
        Interlocked.Exchange(ref _closedLocally, 1);
        _outgoing.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(drain, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not drained in time: the Bye goes out after whatever the connection already took.
        }

        await Connection.CloseAsync(code, reason).ConfigureAwait(false);
    }

    /// <summary>The peer said Bye(Overloaded): it refused this session (inbound cap, SPEC.md §9.10) or found this
    /// node too slow a reader; not a sign of a second node using its key.</summary>
    public bool RefusedByPeer
    {
        get => Volatile.Read(ref _refusedByPeer) != 0;
        set => Volatile.Write(ref _refusedByPeer, value ? 1 : 0);
    }

    private int _refusedByPeer;

    /// <summary>The peer said Bye(Shutdown, <see cref="Membership.DuplicateRule.ByeReason"/>): it keeps another session
    /// for this node's key (SPEC.md §9.8), usually this node's own winner of a crossed dial.</summary>
    public bool DuplicateByPeer
    {
        get => Volatile.Read(ref _duplicateByPeer) != 0;
        set => Volatile.Write(ref _duplicateByPeer, value ? 1 : 0);
    }

    private int _duplicateByPeer;

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closing, 1);
        _outgoing.Writer.TryComplete();
        await Connection.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProtocolException or OperationCanceledException or ChannelClosedException or IOException)
        {
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (WireMessage message in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                // Encoded straight into the connection's pooled send buffer (no per-message body array).
                int length = await Connection.SendAsync(message).ConfigureAwait(false);
                if (IsTransfer(message.Type))
                {
                    TransferSeen();
                }

                long wire = length + FrameOverhead;
                Interlocked.Add(ref _bytesOut, wire);
                _sent?.Invoke(wire);
            }
        }
        catch (Exception ex) when (ex is ProtocolException or OperationCanceledException or ChannelClosedException or IOException or ObjectDisposedException)
        {
            // The connection is closing; the runtime learns it from the connection's completion.
        }
    }
}
