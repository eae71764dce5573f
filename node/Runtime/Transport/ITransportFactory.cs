using System.Net;

namespace FedMesh.Node.Transport;

/// <summary>
/// Where a node's connections come from: listen/accept and connect, each yielding an <see cref="IDuplexPipe"/>-based
/// <see cref="TransportConnection"/>. The runtime knows nothing else about the network: the daemon plugs in TCP
/// (<see cref="TcpTransportFactory"/>), tests and the simulator plug in in-memory pipes (<see cref="InMemoryNetwork"/>),
/// and the handshake, AEAD and gossip above run unchanged over either (STYLE.md: "TCP, in-memory links and tests plug
/// in the same way").
/// </summary>
public interface ITransportFactory
{
    /// <summary>Binds <paramref name="endPoint"/> (port 0 picks a free port, read back from
    /// <see cref="ITransportListener.LocalEndPoint"/>).</summary>
    /// <exception cref="Protocol.Transport.TransportException">The address cannot be bound (in use, not local).</exception>
    ITransportListener Listen(IPEndPoint endPoint);

    /// <summary>Opens a connection to <paramref name="endPoint"/>.</summary>
    /// <exception cref="Protocol.Transport.TransportException">Refused, unreachable, reset (classified).</exception>
    Task<TransportConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);

    /// <summary>The addresses a host name stands for (the daemon asks DNS); an empty array when it stands for none.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);

    /// <summary>Connections never leave this process (in-memory pipes): the only transport a simulated channel
    /// (<see cref="Hosting.NodeParts.SimulatedCrypto"/>) may run over. False unless a factory says otherwise.</summary>
    bool InProcess => false;
}

/// <summary>A bound listening endpoint; disposing it stops accepting (connections already accepted stay open).</summary>
public interface ITransportListener : IDisposable
{
    /// <summary>The address actually bound (the port chosen for port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Waits for the next inbound connection.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="Protocol.Transport.TransportException">Accepting failed (classified).</exception>
    Task<TransportConnection> AcceptAsync(CancellationToken cancellationToken);
}
