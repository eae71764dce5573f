using System.IO.Pipelines;
using System.Net;

namespace FedMesh.Node.Transport;

/// <summary>
/// One open connection from an <see cref="ITransportFactory"/>: the byte pipe the secure channel runs over and the
/// address of the other end (admission control rates inbound attempts by it). Disposal closes the underlying link
/// once (idempotent).
/// </summary>
public sealed class TransportConnection : IAsyncDisposable
{
    private Func<ValueTask>? _close;

    public TransportConnection(IDuplexPipe pipe, IPEndPoint? remoteEndPoint, Func<ValueTask> close)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(close);
        Pipe = pipe;
        RemoteEndPoint = remoteEndPoint;
        _close = close;
    }

    public IDuplexPipe Pipe { get; }

    /// <summary>The other end's address; null when the transport does not know it.</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _close, null) is { } close ? close() : ValueTask.CompletedTask;
}
