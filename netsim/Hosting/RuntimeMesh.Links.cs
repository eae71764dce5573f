using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Network;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Transport;

namespace FedMesh.NetSim.Hosting;

/// <summary>
/// The link model on the in-memory transport: when a scenario declares links (<c>[links]</c> or a degrade event),
/// every byte a node writes reaches its peer after the link's bandwidth, latency and loss
/// (<see cref="LinkDirection"/>), on the virtual clock, with each connection direction's draws seeded from the
/// scenario seed and the connection's order of opening (deterministic under the serial executor). Degrade events
/// change the profile of every link touching the named nodes (all links without nodes) from then on.
/// </summary>
public sealed partial class RuntimeMesh
{
    /// <summary>Profiles set by degrade events for links touching a node; <see cref="_linkDefault"/> for the others.</summary>
    private readonly Dictionary<IPAddress, LinkProfile> _degraded = [];
    private LinkProfile? _linkDefault;
    private long _linkDirections;

    /// <summary>Whether links are modelled: the scenario declares them (or degrades some).</summary>
    private bool LinksModelled => _scenario.LinksDeclared || _scenario.Events.Any(e => e.Kind == Scenarios.ScenarioEventKind.Degrade);

    /// <summary>The transport node <paramref name="node"/> listens and dials on.</summary>
    private ITransportFactory TransportOf(int node) =>
        LinksModelled ? new LinkedTransport(this, _network.Host(AddressOf(node)), AddressOf(node)) : _network.Host(AddressOf(node));

    /// <summary>A degrade event: the new profile for the named nodes' links (every link without nodes).</summary>
    private void Degrade(Scenarios.ScenarioEvent e)
    {
        if (e.Nodes.Count == 0)
        {
            _linkDefault = e.Link;
            _degraded.Clear();
        }

        foreach (int n in e.Nodes)
        {
            _degraded[AddressOf(n)] = e.Link!;
        }
    }

    /// <summary>The profile of the link between two hosts now (the degraded end's, the lower address's when both are).</summary>
    private LinkProfile ProfileOf(IPAddress a, IPAddress b) =>
        _degraded.TryGetValue(a, out LinkProfile? pa) ? pa
        : _degraded.TryGetValue(b, out LinkProfile? pb) ? pb
        : _linkDefault ?? _scenario.Links;

    private LinkDirection NewDirection(IPAddress from, IPAddress to) =>
        new(() => ProfileOf(from, to), SimSeeds.Random(_scenario.Seed, "link", _linkDirections++));

    /// <summary>Connections whose outgoing bytes go through a <see cref="LinkDirection"/> each way.</summary>
    private sealed class LinkedTransport(RuntimeMesh mesh, ITransportFactory inner, IPAddress self) : ITransportFactory
    {
        public ITransportListener Listen(IPEndPoint endPoint) => new Listener(mesh, inner.Listen(endPoint), self);

        public async Task<TransportConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken) =>
            mesh.Wrap(await inner.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false), self, endPoint.Address);

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => inner.ResolveAsync(host, cancellationToken);

        public bool InProcess => inner.InProcess;

        private sealed class Listener(RuntimeMesh mesh, ITransportListener inner, IPAddress self) : ITransportListener
        {
            public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

            public async Task<TransportConnection> AcceptAsync(CancellationToken cancellationToken)
            {
                TransportConnection c = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
                return mesh.Wrap(c, self, c.RemoteEndPoint?.Address ?? IPAddress.None);
            }

            public void Dispose() => inner.Dispose();
        }
    }

    /// <summary>The runtime writes into a pipe of ours; a pump delivers its bytes to the real connection when the link
    /// model says they arrive. Reads come straight from the real connection (the peer's pump delays them).</summary>
    private TransportConnection Wrap(TransportConnection real, IPAddress self, IPAddress peer)
    {
        var outbound = new Pipe(InMemoryNetwork.DefaultPipeOptions);
        _ = PumpAsync(outbound.Reader, real.Pipe.Output, NewDirection(self, peer));
        return new TransportConnection(new Duplex(real.Pipe.Input, outbound.Writer), real.RemoteEndPoint, real.DisposeAsync);
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to, LinkDirection link)
    {
        var queue = Channel.CreateUnbounded<(TimeSpan At, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task delivery = DeliverAsync(queue.Reader, from, to);
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult read = await from.ReadAsync().ConfigureAwait(false);
                if (!read.Buffer.IsEmpty)
                {
                    byte[] data = read.Buffer.ToArray();
                    queue.Writer.TryWrite((link.Arrival(Clock.Elapsed, data.Length), data));
                }

                from.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TransportException or IOException)
        {
            // The delivery side failed (connection reset or closed) and completed our reader: stop reading.
            error = e;
        }

        queue.Writer.TryComplete(error);
        await delivery.ConfigureAwait(false);
    }

    /// <summary>Writes each chunk at its arrival time; a failed write (reset, closed) fails the runtime's writer too.</summary>
    private async Task DeliverAsync(ChannelReader<(TimeSpan At, byte[] Data)> queue, PipeReader from, PipeWriter to)
    {
        try
        {
            await foreach ((TimeSpan at, byte[] data) in queue.ReadAllAsync().ConfigureAwait(false))
            {
                TimeSpan wait = at - Clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, Clock).ConfigureAwait(false);
                }

                FlushResult flushed = await to.WriteAsync(data).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    throw new TransportException(TransportErrorKind.Reset, "peer closed the connection");
                }
            }

            await to.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TransportException or IOException or ChannelClosedException)
        {
            await from.CompleteAsync(e is TransportException ? e : new TransportException(TransportErrorKind.Reset, e.Message)).ConfigureAwait(false);
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
