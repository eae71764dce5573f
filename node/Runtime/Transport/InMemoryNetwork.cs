using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Transport;

/// <summary>
/// A network of in-process hosts joined by in-memory duplex pipes: each <see cref="Host"/> is one node's
/// <see cref="ITransportFactory"/>. Connections carry exactly the bytes a socket would (the runtime's handshake and
/// AEAD frames), so tests and the simulator run the daemon's own connection code without sockets, ports or timing
/// of the machine. A connect to an address nobody listens on, or that <see cref="Reachable"/> forbids, is refused
/// the way TCP refuses it (<see cref="TransportErrorKind.Refused"/>).
/// </summary>
public sealed class InMemoryNetwork
{
    /// <summary>First ephemeral port handed to a dialling host (IANA's dynamic range, RFC 6335 §6).</summary>
    private const int FirstEphemeralPort = 49152;

    /// <summary>Connections waiting to be accepted per listener, as TCP's listen backlog (TcpPipeListener uses 128).</summary>
    private const int Backlog = 128;

    /// <summary>
    /// Pipe buffering per direction, as <see cref="TcpPipe"/>: pause a writer at 4 MiB unconsumed (above the largest
    /// frame, 1 MiB + 264 B, or a frame could never be read whole), resume at half.
    /// </summary>
    public static readonly PipeOptions DefaultPipeOptions = new(
        pauseWriterThreshold: TcpPipe.PauseThreshold,
        resumeWriterThreshold: TcpPipe.ResumeThreshold,
        useSynchronizationContext: false);

    private readonly Dictionary<IPEndPoint, Listener> _listeners = [];
    private readonly List<Link> _links = [];
    private readonly Dictionary<IPAddress, int> _nextPort = [];
    private readonly Lock _lock = new();
    private readonly PipeOptions _pipeOptions;

    /// <param name="pipeOptions">Options of both pipes of every connection; the simulator passes inline schedulers so
    /// every continuation runs on its own deterministic scheduler.</param>
    public InMemoryNetwork(PipeOptions? pipeOptions = null) => _pipeOptions = pipeOptions ?? DefaultPipeOptions;

    /// <summary>Whether a host may open a connection to another (from, to); null = all may. Partitions set it.</summary>
    public Func<IPAddress, IPAddress, bool>? Reachable { get; set; }

    /// <summary>Connections opened so far (both ends accepted or not).</summary>
    public long ConnectionsOpened { get; private set; }

    /// <summary>
    /// Resets every open connection between hosts that <paramref name="cut"/> separates (from, to), as a partition
    /// does to TCP once keep-alives fail: both ends' reads fail with <see cref="TransportErrorKind.Reset"/> and their
    /// writes with "writer completed". Returns the number of connections reset. Combine with <see cref="Reachable"/>
    /// so that new connections across the cut are refused too.
    /// </summary>
    public int Sever(Func<IPAddress, IPAddress, bool> cut)
    {
        ArgumentNullException.ThrowIfNull(cut);
        List<Link> severed;
        lock (_lock)
        {
            _links.RemoveAll(l => l.Closed);
            severed = _links.Where(l => cut(l.Client, l.Server) || cut(l.Server, l.Client)).ToList();
            _links.RemoveAll(severed.Contains);
        }

        foreach (Link link in severed)
        {
            var reset = new TransportException(TransportErrorKind.Reset, $"connection {link.Client} - {link.Server} reset");
            link.ToServer.Writer.Complete(reset);
            link.ToClient.Writer.Complete(reset);
        }

        return severed.Count;
    }

    /// <summary>The transport of the host at <paramref name="address"/>: what it listens on and dials from.</summary>
    public ITransportFactory Host(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new HostTransport(this, address);
    }

    private Listener Bind(IPAddress host, IPEndPoint requested)
    {
        IPAddress address = requested.Address.Equals(IPAddress.Any) || requested.Address.Equals(IPAddress.IPv6Any) ? host : requested.Address;
        if (!address.Equals(host))
        {
            throw new TransportException(TransportErrorKind.Other, $"listen on {requested}: {address} is not an address of host {host}");
        }

        lock (_lock)
        {
            int port = requested.Port == 0 ? NextPort(host) : requested.Port;
            var endPoint = new IPEndPoint(address, port);
            if (_listeners.ContainsKey(endPoint))
            {
                throw new TransportException(TransportErrorKind.Other, $"listen on {endPoint}: address already in use");
            }

            var listener = new Listener(this, endPoint);
            _listeners.Add(endPoint, listener);
            return listener;
        }
    }

    private void Unbind(Listener listener)
    {
        lock (_lock)
        {
            if (_listeners.TryGetValue(listener.LocalEndPoint, out Listener? bound) && ReferenceEquals(bound, listener))
            {
                _listeners.Remove(listener.LocalEndPoint);
            }
        }
    }

    private int NextPort(IPAddress host)
    {
        int port = _nextPort.TryGetValue(host, out int next) ? next : FirstEphemeralPort;
        _nextPort[host] = port + 1;
        return port;
    }

    private TransportConnection Connect(IPAddress from, IPEndPoint to)
    {
        Listener? listener;
        IPEndPoint local;
        lock (_lock)
        {
            if ((Reachable is { } reachable && !reachable(from, to.Address)) || !_listeners.TryGetValue(to, out listener))
            {
                throw new TransportException(TransportErrorKind.Refused, $"connect to {to}: connection refused");
            }

            local = new IPEndPoint(from, NextPort(from));
            ConnectionsOpened++;
        }

        var toServer = new Pipe(_pipeOptions);
        var toClient = new Pipe(_pipeOptions);
        var link = new Link(from, to.Address, toServer, toClient);
        var client = new End(toClient.Reader, toServer.Writer, link);
        var server = new End(toServer.Reader, toClient.Writer, link);
        lock (_lock)
        {
            _links.Add(link);
        }

        if (!listener.Offer(new TransportConnection(server, local, server.CloseAsync)))
        {
            server.Close();
            client.Close();
            throw new TransportException(TransportErrorKind.Refused, $"connect to {to}: backlog full");
        }

        return new TransportConnection(client, to, client.CloseAsync);
    }

    /// <summary>Both directions of one connection (for <see cref="Sever"/>); closed once both ends closed.</summary>
    private sealed class Link(IPAddress client, IPAddress server, Pipe toServer, Pipe toClient)
    {
        private int _endsClosed;

        public IPAddress Client => client;

        public IPAddress Server => server;

        public Pipe ToServer => toServer;

        public Pipe ToClient => toClient;

        public bool Closed => Volatile.Read(ref _endsClosed) >= 2;

        public void EndClosed() => Interlocked.Increment(ref _endsClosed);
    }

    /// <summary>One end of a connection: reads what the other end writes. Closing completes both halves this end
    /// holds, which the other end sees as end of stream (as a FIN).</summary>
    private sealed class End(PipeReader input, PipeWriter output, Link link) : IDuplexPipe
    {
        private int _closed;

        public PipeReader Input => input;

        public PipeWriter Output => output;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            input.Complete();
            output.Complete();
            link.EndClosed();
        }

        public ValueTask CloseAsync()
        {
            Close();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class HostTransport(InMemoryNetwork network, IPAddress address) : ITransportFactory
    {
        public ITransportListener Listen(IPEndPoint endPoint) => network.Bind(address, endPoint);

        public bool InProcess => true;

        public Task<TransportConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(network.Connect(address, endPoint));
        }

        /// <summary>In-memory hosts have IP literals only: a name stands for no address.</summary>
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(IPAddress.TryParse(host, out IPAddress? ip) ? new[] { ip } : []);
    }

    private sealed class Listener(InMemoryNetwork network, IPEndPoint endPoint) : ITransportListener
    {
        private readonly Channel<TransportConnection> _pending = Channel.CreateBounded<TransportConnection>(
            new BoundedChannelOptions(Backlog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        public IPEndPoint LocalEndPoint => endPoint;

        public bool Offer(TransportConnection connection) => _pending.Writer.TryWrite(connection);

        public async Task<TransportConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(InMemoryNetwork), $"listener on {endPoint} is closed");
            }
        }

        public void Dispose()
        {
            network.Unbind(this);
            if (_pending.Writer.TryComplete())
            {
                // Connections never accepted are closed, as a closed socket resets its backlog.
                while (_pending.Reader.TryRead(out TransportConnection? pending))
                {
                    _ = pending.DisposeAsync();
                }
            }
        }
    }
}
