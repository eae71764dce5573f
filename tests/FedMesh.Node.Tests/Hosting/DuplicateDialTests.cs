using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// The session-20 walk-through: two daemons on one host, B seeded with A's address and both finding each other over
/// mDNS at three more addresses, both warned at their first start that the other "closed the connection right after
/// the handshake ... is another node using a copy of it?" (6063), and both lost their session. B dialled several of
/// A's addresses at once; the duplicate rule (SPEC.md §9.8) kept whichever of those same-initiator connections
/// finished its handshake first, and the two ends finished them in opposite orders, so each end kept the one the
/// other closed. Real nodes over in-memory pipes on virtual time; a transport that holds a connection's bytes stages
/// the opposite orders every time.
/// </summary>
public sealed class DuplicateDialTests(ITestOutputHelper output)
{
    private const string MeshName = "duplicate-dial";
    private const int Port = 7000;

    /// <summary>HandshakeInit: the 8-byte frame header and its 34-byte payload (SPEC.md §3.2). What a gated dial lets
    /// through before the HandshakeFinish it holds.</summary>
    private const int InitFrameBytes = 8 + 34;

    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [16])]);
    private static readonly IPAddress AHost = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress BHost = IPAddress.Parse("10.0.0.1");

    /// <summary>A second address of A (as mDNS announces several): B's transport routes it to A's listener.</summary>
    private static readonly IPAddress AAlias = IPAddress.Parse("10.0.0.102");

    [Theory]
    // A still holds the second dial when the first's Finish arrives (the walk-through: each end kept a different one).
    [InlineData(false)]
    // What B sent on the second dial after its Finish (a Bye when B keeps the first) reaches A before the first's
    // Finish: A is left without a session for a moment, until the first dial's handshake finishes.
    [InlineData(true)]
    public async Task Two_dials_to_two_addresses_of_a_peer_finishing_in_opposite_orders_leave_one_session_at_both_ends(bool byeBeforeFinish)
    {
        // The transcript hash decides which connection survives, so each run is one of two cases (the first or the
        // second dial kept): several pairs, each staged the same way, see both in all likelihood.
        var kept = new List<string>();
        for (int pair = 0; pair < 6; pair++)
        {
            kept.Add(await StagePairAsync(byeBeforeFinish));
        }

        output.WriteLine("B kept its dial to: " + string.Join(", ", kept));
    }

    /// <summary>
    /// B dials A at two addresses (seeds without A's id, so no dialler could tell they are one peer). The first dial's
    /// HandshakeFinish is held until A has finished the second's handshake, and the second dial starts only once B
    /// has finished the first's: B finishes first, second; A second, first. Whatever B sends on the second dial after
    /// its Finish (a Bye, its close) is held until A has decided on the first, so A still holds the second then, as
    /// on the loaded machine of the walk-through; with <paramref name="byeBeforeFinish"/> it is released first instead.
    /// Returns the address of the dial B kept.
    /// </summary>
    private async Task<string> StagePairAsync(bool byeBeforeFinish)
    {
        var network = new InMemoryNetwork();
        // Only B dials: the two connections under test are the only ones.
        network.Reachable = (from, _) => !from.Equals(AHost);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = new Gate(InitFrameBytes);
        var second = new Gate(0);
        var transport = new StagedTransport(network.Host(BHost), new Dictionary<IPEndPoint, Route>
        {
            [new IPEndPoint(AHost, Port)] = new(new IPEndPoint(AHost, Port), first),
            [new IPEndPoint(AAlias, Port)] = new(new IPEndPoint(AHost, Port), second),
        });
        var logsA = new CapturedLogs();
        var logsB = new CapturedLogs();
        using var idA = NodeIdentity.Create();
        using var idB = NodeIdentity.Create();
        NodeRuntime? a = null;
        NodeRuntime? b = null;
        try
        {
            a = new NodeRuntime(Parts(idA, network.Host(AHost), AHost, time, []), logsA.Factory());
            await a.StartAsync(CancellationToken.None);
            b = new NodeRuntime(Parts(idB, transport, BHost, time, [new Seed(new PeerAddress(AHost.ToString(), Port)), new Seed(new PeerAddress(AAlias.ToString(), Port))]), logsB.Factory());
            await b.StartAsync(CancellationToken.None);

            // B finishes the first dial's handshake (its Finish held back from A), then the second's.
            await first.Holding.WaitAsync(TimeSpan.FromSeconds(30));
            await UntilAsync(() => Count(logsB, Connected) == 1, "B to finish its first dial");
            second.Let(InitFrameBytes + FinishFrameBytes);
            // A finishes the second dial's handshake, then gets the first's Finish and decides on it: it keeps the
            // first (connected again) or closes it (B's session of it ends), unless B had closed it already.
            await UntilAsync(() => Count(logsA, Connected) == 1, "A to finish the second dial");
            if (byeBeforeFinish)
            {
                // B's Bye ends A's session of the second dial, unless B kept that one (then it closed the first).
                second.Open();
                await UntilAsync(() => Count(logsA, Disconnected) >= 1 || Count(logsB, Disconnected) >= 1, "B's Bye to reach A");
                first.Open();
            }
            else
            {
                first.Open();
                await UntilAsync(() => Count(logsA, Connected) == 2 || Count(logsB, Disconnected) >= 1, "A to decide on the first dial");
                second.Open();
            }

            // Past the crossed-dial window (the handshake time-out, 10 s): a copied-key warning would be out by then,
            // and a session either end closed would have been redialled (B's dial tick is 2 s).
            await Task.Delay(200);
            for (int s = 0; s < 15; s++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(20);
            }

            foreach (string line in logsA.Lines.Select(l => "A " + l).Concat(logsB.Lines.Select(l => "B " + l)).Where(l => l.Contains(" 600", StringComparison.Ordinal)))
            {
                output.WriteLine(line);
            }

            Assert.Empty(logsA.Warnings(6063));
            Assert.Empty(logsB.Warnings(6063));
            Assert.Equal([idB.PeerId.Value], a.GetStatus().Peers.Select(p => p.PeerId));
            PeerStatus atB = Assert.Single(b.GetStatus().Peers);
            Assert.Equal(idA.PeerId.Value, atB.PeerId);
            // Neither end closed the session the other kept: B never had to dial again.
            Assert.Equal(2, transport.Dials);
            return atB.Address;
        }
        finally
        {
            first.Open();
            second.Open();
            if (b is not null)
            {
                await b.DisposeAsync();
            }

            if (a is not null)
            {
                await a.DisposeAsync();
            }
        }
    }

    private const int Connected = 6005;
    private const int Disconnected = 6006;

    /// <summary>HandshakeFinish: the 8-byte frame header and its 112-byte payload (SPEC.md §3.2).</summary>
    private const int FinishFrameBytes = 8 + 112;

    private static int Count(CapturedLogs logs, int eventId) =>
        logs.Lines.Count(l => l.StartsWith($"Information {eventId} ", StringComparison.Ordinal));

    [Fact]
    public async Task A_peer_known_at_two_addresses_is_dialled_at_one_at_a_time()
    {
        // The walk-through's B knew A from its seed and from mDNS at three addresses, all with A's id, and dialled
        // them all in one dial tick.
        await using KnownPair pair = await KnownPair.StartAsync(new Route(new IPEndPoint(AHost, Port), null), aliasFirst: false);
        (NodeRuntime a, NodeRuntime b, FakeTimeProvider time, StagedTransport transport) = (pair.A, pair.B, pair.Time, pair.Transport);

        await UntilAsync(() => a.GetStatus().Peers.Count == 1 && b.GetStatus().Peers.Count == 1, "A and B to connect");
        for (int s = 0; s < 6; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.Equal(1, transport.Dials);
        Assert.Equal(a.Self.Value, Assert.Single(b.GetStatus().Peers).PeerId);
    }

    [Fact]
    public async Task A_peer_s_next_address_is_dialled_once_the_dial_to_a_dead_one_has_been_pending_a_while()
    {
        // Dialling one address at a time must not leave a peer unreached behind an address whose packets are dropped
        // (a connect there waits minutes for the kernel's SYN retries).
        await using KnownPair pair = await KnownPair.StartAsync(new Route(new IPEndPoint(AHost, Port), null, Hang: true), aliasFirst: true);
        (NodeRuntime b, FakeTimeProvider time, StagedTransport transport) = (pair.B, pair.Time, pair.Transport);

        // The dial ticks at 2 s and 4 s leave the second address alone; the one at 6 s dials it.
        await UntilAsync(() => transport.Dials == 1, "B to dial the dead address");
        for (int s = 0; s < 4; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        Assert.Equal(1, transport.Dials);
        Assert.Empty(b.GetStatus().Peers);
        for (int s = 0; s < 2; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        await UntilAsync(() => b.GetStatus().Peers.Count == 1, "B to reach A at its other address");
        Assert.Equal(2, transport.Dials);
        Assert.Equal($"{AHost}:{Port}", Assert.Single(b.GetStatus().Peers).Address);
    }

    /// <summary>A and B on virtual time, only B dialling, B knowing A (with its id) at A's address and at the alias
    /// (routed as <see cref="StartAsync"/> is told).</summary>
    private sealed class KnownPair(NodeIdentity idA, NodeIdentity idB, NodeRuntime a, NodeRuntime b, FakeTimeProvider time, StagedTransport transport) : IAsyncDisposable
    {
        public NodeRuntime A => a;

        public NodeRuntime B => b;

        public FakeTimeProvider Time => time;

        public StagedTransport Transport => transport;

        public static async Task<KnownPair> StartAsync(Route alias, bool aliasFirst)
        {
            var network = new InMemoryNetwork { Reachable = (from, _) => !from.Equals(AHost) };
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var transport = new StagedTransport(network.Host(BHost), new Dictionary<IPEndPoint, Route> { [new IPEndPoint(AAlias, Port)] = alias });
            var idA = NodeIdentity.Create();
            var idB = NodeIdentity.Create();
            var a = new NodeRuntime(Parts(idA, network.Host(AHost), AHost, time, []), new CapturedLogs().Factory());
            await a.StartAsync(CancellationToken.None);
            Seed direct = new(new PeerAddress(AHost.ToString(), Port), idA.PeerId);
            Seed aliased = new(new PeerAddress(AAlias.ToString(), Port), idA.PeerId);
            var b = new NodeRuntime(Parts(idB, transport, BHost, time, aliasFirst ? [aliased, direct] : [direct, aliased]), new CapturedLogs().Factory());
            await b.StartAsync(CancellationToken.None);
            return new KnownPair(idA, idB, a, b, time, transport);
        }

        public async ValueTask DisposeAsync()
        {
            await b.DisposeAsync();
            await a.DisposeAsync();
            idB.Dispose();
            idA.Dispose();
        }
    }

    private static NodeParts Parts(NodeIdentity id, ITransportFactory transport, IPAddress host, TimeProvider time, Seed[] seeds) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor(MeshName), new byte[32], Schema),
        MeshName = MeshName,
        Listen = new IPEndPoint(host, Port),
        Seeds = seeds,
        Gossip = GossipOptions.Default,
        Transport = transport,
        Time = time,
    };

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Where a dial to an address goes: <paramref name="Real"/> through <paramref name="Gate"/>, or nowhere
    /// (<paramref name="Hang"/>: the connect never completes, as to an address whose packets are dropped).</summary>
    private sealed record Route(IPEndPoint Real, Gate? Gate, bool Hang = false);

    /// <summary>How many bytes a dialled connection may write so far (<see cref="Let"/>, <see cref="Open"/>); the rest
    /// waits.</summary>
    private sealed class Gate(long allowance)
    {
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _allowance = allowance;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once bytes beyond the allowance first wait at the gate.</summary>
        public Task Holding => _holding.Task;

        /// <summary>The allowance now, and a task that completes when it changes (read together).</summary>
        public (long Allowance, Task Changed) Now()
        {
            lock (_lock)
            {
                return (_allowance, _changed.Task);
            }
        }

        public void Let(long bytes)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _allowance = bytes;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public void Open() => Let(long.MaxValue);

        public void Hold() => _holding.TrySetResult();
    }

    /// <summary>B's transport: routes A's alias address to A's listener, puts a dial's writes through its route's
    /// gate, and counts dials.</summary>
    private sealed class StagedTransport(ITransportFactory inner, Dictionary<IPEndPoint, Route> routes) : ITransportFactory
    {
        private int _dials;

        public int Dials => Volatile.Read(ref _dials);

        public ITransportListener Listen(IPEndPoint endPoint) => inner.Listen(endPoint);

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => inner.ResolveAsync(host, cancellationToken);

        public async Task<TransportConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            if (!routes.TryGetValue(endPoint, out Route? route))
            {
                return await inner.ConnectAsync(endPoint, cancellationToken);
            }

            if (route.Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            TransportConnection connection = await inner.ConnectAsync(route.Real, cancellationToken);
            if (route.Gate is not { } gate)
            {
                return new TransportConnection(connection.Pipe, endPoint, connection.DisposeAsync);
            }

            // Both directions are copied through pipes of their own, so the node's close of a connection reaches the
            // other end only after the bytes it wrote before (as TCP's FIN follows the data), and only as end of
            // stream: the other end's writes are not refused at once (the socket's receive buffer would take them).
            var inbound = new Pipe();
            var outbound = new Pipe();
            _ = CopyAsync(connection.Pipe.Input, inbound.Writer, gate: null, completeSource: false);
            Task sending = CopyAsync(outbound.Reader, connection.Pipe.Output, gate, completeSource: true);
            return new TransportConnection(new DuplexPipe(inbound.Reader, outbound.Writer), endPoint, async () =>
            {
                await outbound.Writer.CompleteAsync();
                await sending;
            });
        }

        /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> as far as <paramref name="gate"/> allows,
        /// until either end completes; then completes <paramref name="to"/> (and <paramref name="from"/> when asked).</summary>
        private static async Task CopyAsync(PipeReader from, PipeWriter to, Gate? gate, bool completeSource)
        {
            long passed = 0;
            Exception? error = null;
            try
            {
                while (true)
                {
                    ReadResult read = await from.ReadAsync();
                    ReadOnlySequence<byte> buffer = read.Buffer;
                    while (!buffer.IsEmpty)
                    {
                        (long allowance, Task changed) = gate?.Now() ?? (long.MaxValue, Task.CompletedTask);
                        if (passed >= allowance)
                        {
                            gate!.Hold();
                            await changed;
                            continue;
                        }

                        long take = Math.Min(buffer.Length, allowance - passed);
                        foreach (ReadOnlyMemory<byte> segment in buffer.Slice(0, take))
                        {
                            if ((await to.WriteAsync(segment)).IsCompleted)
                            {
                                return;
                            }
                        }

                        passed += take;
                        buffer = buffer.Slice(take);
                    }

                    from.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or Protocol.Transport.TransportException)
            {
                // An end was completed under the copy, or the link failed: passed on as the stream's error.
                error = ex;
            }
            finally
            {
                if (completeSource)
                {
                    await from.CompleteAsync();
                }

                await to.CompleteAsync(error);
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
