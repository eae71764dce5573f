using System.Net;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Transport;

/// <summary>The daemon's transport: TCP sockets as pipes (<see cref="TcpPipe"/>), host names through DNS.</summary>
public sealed class TcpTransportFactory : ITransportFactory
{
    public static readonly TcpTransportFactory Instance = new();

    private TcpTransportFactory()
    {
    }

    public ITransportListener Listen(IPEndPoint endPoint) => new Listener(TcpPipeListener.Start(endPoint));

    public async Task<TransportConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken) =>
        Wrap(await TcpPipe.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false));

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);

    private static TransportConnection Wrap(TcpPipe pipe) => new(pipe, pipe.RemoteEndPoint as IPEndPoint, pipe.DisposeAsync);

    private sealed class Listener(TcpPipeListener listener) : ITransportListener
    {
        public IPEndPoint LocalEndPoint => listener.LocalEndPoint;

        public async Task<TransportConnection> AcceptAsync(CancellationToken cancellationToken) =>
            Wrap(await listener.AcceptAsync(cancellationToken).ConfigureAwait(false));

        public void Dispose() => listener.Dispose();
    }
}
