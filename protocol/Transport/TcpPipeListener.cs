using System.Net;
using System.Net.Sockets;

namespace FedMesh.Protocol.Transport;

/// <summary>Accepts TCP connections as <see cref="TcpPipe"/>s.</summary>
public sealed class TcpPipeListener : IDisposable
{
    /// <summary>Pending-connection backlog: 128 absorbs a burst of gossip dials without SYN drops (Linux default somaxconn is 4096).</summary>
    private const int Backlog = 128;

    private readonly Socket _socket;

    private TcpPipeListener(Socket socket) => _socket = socket;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>
    /// Binds and listens; port 0 picks a free port (see <see cref="LocalEndPoint"/>). <c>::</c> listens dual-stack,
    /// on every IPv6 and IPv4 address (IPv4 peers appear as <c>::ffff:a.b.c.d</c>): it is documented as "all
    /// addresses", and an IPv6-only socket refused every IPv4 seed. On a host without IPv6, <c>::</c> falls back to
    /// <c>0.0.0.0</c>.
    /// </summary>
    public static TcpPipeListener Start(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint.Address.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6)
        {
            endPoint = new IPEndPoint(IPAddress.Any, endPoint.Port);
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(Backlog);
            return new TcpPipeListener(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw TransportException.From(e, $"listen on {endPoint}");
        }
    }

    public async Task<TcpPipe> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Socket client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            return new TcpPipe(client);
        }
        catch (SocketException e)
        {
            throw TransportException.From(e, $"accept on {LocalEndPoint}");
        }
    }

    public void Dispose() => _socket.Dispose();
}
