using System.Net;
using System.Net.Sockets;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// Connection admission of a real <see cref="NodeRuntime"/> on loopback (issue 11): slots that count handshakes in
/// progress, per-address limits, the handshake time-out, dial warnings, and the duplicate-session rule.
/// Flooders bind 127.0.0.2 (any 127/8 address is loopback on Linux) so they differ from the honest peers' 127.0.0.1.
/// </summary>
[Collection(FedMesh.Node.Tests.Integration.DaemonCollection.Name)]
public sealed class NodeAdmissionTests(ITestOutputHelper output)
{
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [16])]);

    private static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.2");

    private static NodeParts Parts(NodeIdentity id, params int[] seeds) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor("admission"), new byte[32], Schema),
        MeshName = "admission",
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Seeds = seeds.Select(p => new Seed(new PeerAddress("127.0.0.1", p))).ToArray(),
        Gossip = GossipOptions.Default,
    };

    [Fact]
    public async Task Stopping_two_connected_nodes_logs_no_dropped_gossip_actions()
    {
        // A session that ends while its node stops posts its disconnect to an actor that has stopped taking work;
        // dropping it then is the shutdown, not a fault, and an operator should not see a warning for it.
        var logs = new CapturedLogs();
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        var first = new NodeRuntime(Parts(a), logs.Factory());
        await first.StartAsync(CancellationToken.None);
        var second = new NodeRuntime(Parts(b, first.ListenEndPoint!.Port), logs.Factory());
        await second.StartAsync(CancellationToken.None);
        await WaitAsync(() => first.GetStatus().Peers.Count == 1 && second.GetStatus().Peers.Count == 1, "the two nodes to connect");

        await Task.WhenAll(first.DisposeAsync().AsTask(), second.DisposeAsync().AsTask());

        Assert.Empty(logs.Warnings(6015));
    }

    [Fact]
    public async Task A_flood_of_silent_connections_holds_few_slots_and_an_honest_peer_still_connects()
    {
        var logs = new CapturedLogs();
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();
        await using var target = new NodeRuntime(Parts(a) with { HandshakeTimeout = TimeSpan.FromSeconds(3) }, logs.Factory());
        await target.StartAsync(CancellationToken.None);
        var endPoint = new IPEndPoint(IPAddress.Loopback, target.ListenEndPoint!.Port);

        // 300 connections that never send a byte (half-open handshakes), from one address.
        List<Socket> flood = await OpenAsync(endPoint, 300);
        try
        {
            await Task.Delay(500);
            int open = flood.Count(IsOpen);
            output.WriteLine($"flood: {open} of {flood.Count} connections still open; node counts {target.OpenConnections}");
            // At most MaxHandshakesPerAddress (8) handshakes in progress from one address; the rest closed at accept.
            Assert.InRange(target.OpenConnections, 1, ConnectionLimitOptions.Default.MaxHandshakesPerAddress);
            Assert.InRange(open, 1, ConnectionLimitOptions.Default.MaxHandshakesPerAddress);

            // An honest peer from another address is admitted during the flood.
            await using var honest = new NodeRuntime(Parts(b, endPoint.Port), logs.Factory());
            await honest.StartAsync(CancellationToken.None);
            await WaitAsync(() => target.GetStatus().Peers.Count == 1 && honest.GetStatus().Peers.Count == 1, "the honest peer to connect");

            // The time-out closes the silent handshakes and frees their slots: only the honest session remains.
            await WaitAsync(() => target.OpenConnections == 1, "the silent handshakes to time out");
            Assert.Single(target.GetStatus().Peers);
            Assert.True(target.Metrics.ConnectionsRefused.Value >= 250, $"refused {target.Metrics.ConnectionsRefused.Value}");
            // Refusals are logged, throttled per address: not one line per refused connection.
            int refusalLines = logs.Warnings(6060).Count();
            Assert.InRange(refusalLines, 1, 2);
        }
        finally
        {
            flood.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_failing_seed_is_logged_at_warning_with_its_address_and_reason_once_per_interval()
    {
        var logs = new CapturedLogs();
        // Refused for certain: the port is held on 127.0.0.1 for the whole test, and nothing listens on 127.0.0.3.
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int closedPort = ((IPEndPoint)holder.LocalEndpoint).Port;

        using var a = NodeIdentity.Create();
        await using var node = new NodeRuntime(Parts(a) with { Seeds = [new Seed(new PeerAddress("127.0.0.3", closedPort))] }, logs.Factory());
        await node.StartAsync(CancellationToken.None);
        // The dial loop retries every 2 s with a 1 s-based backoff: several attempts in 8 s.
        await Task.Delay(TimeSpan.FromSeconds(8));

        string[] warnings = logs.Warnings(6003).ToArray();
        output.WriteLine(string.Join('\n', warnings));
        string line = Assert.Single(warnings);
        Assert.Contains($"127.0.0.3:{closedPort}", line, StringComparison.Ordinal);
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_second_node_with_a_copy_of_a_key_cannot_displace_the_real_nodes_healthy_session()
    {
        var logs = new CapturedLogs();
        // The displacement needs the real session to be dialled by the peer and the copied key's id to be the smaller:
        // then the old tie-break let the impostor's inbound connection win.
        (NodeIdentity peer, byte[] seed) = OrderedPair();
        using NodeIdentity p = peer;
        using NodeIdentity real = NodeIdentity.FromSeed(seed);
        using NodeIdentity impostor = NodeIdentity.FromSeed(seed);
        TimeSpan handshake = TimeSpan.FromSeconds(1);

        await using var r = new NodeRuntime(Parts(real) with { HandshakeTimeout = handshake }, logs.Factory());
        await r.StartAsync(CancellationToken.None);
        await using var pn = new NodeRuntime(Parts(p, r.ListenEndPoint!.Port) with { HandshakeTimeout = handshake }, logs.Factory());
        await pn.StartAsync(CancellationToken.None);
        await WaitAsync(() => r.GetStatus().Peers.Count == 1 && pn.GetStatus().Peers.Count == 1, "the real node and the peer to connect");
        // Older than a crossed dial (the handshake time-out), and healthy (pings every second).
        await Task.Delay(handshake * 3);

        await using var i = new NodeRuntime(Parts(impostor, pn.ListenEndPoint!.Port) with { HandshakeTimeout = handshake }, logs.Factory());
        await i.StartAsync(CancellationToken.None);
        await WaitAsync(() => logs.Warnings(6061).Any() && logs.Warnings(6063).Any(), "both ends to warn");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal([real.PeerId.Value], pn.GetStatus().Peers.Select(s => s.PeerId));
        Assert.Equal([p.PeerId.Value], r.GetStatus().Peers.Select(s => s.PeerId));
        Assert.Empty(i.GetStatus().Peers);
        string atPeer = logs.Warnings(6061).First();
        output.WriteLine(atPeer);
        output.WriteLine(logs.Warnings(6063).First());
        Assert.Contains(real.PeerId.Value, atPeer, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{r.ListenEndPoint.Port}", atPeer, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{pn.ListenEndPoint.Port}", logs.Warnings(6063).First(), StringComparison.Ordinal);
    }

    /// <summary>A peer identity and a key seed whose peer id sorts before the peer's.</summary>
    private static (NodeIdentity Peer, byte[] Seed) OrderedPair()
    {
        for (byte s = 1; ; s++)
        {
            byte[] seed = Enumerable.Repeat(s, 32).ToArray();
            var peer = NodeIdentity.FromSeed(Enumerable.Repeat((byte)(s + 100), 32).ToArray());
            using var copy = NodeIdentity.FromSeed(seed);
            if (string.CompareOrdinal(copy.PeerId.Value, peer.PeerId.Value) < 0)
            {
                return (peer, seed);
            }

            peer.Dispose();
        }
    }

    private static async Task<List<Socket>> OpenAsync(IPEndPoint target, int count)
    {
        var sockets = new List<Socket>(count);
        for (int n = 0; n < count; n++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(Flooder, 0));
            await socket.ConnectAsync(target);
            sockets.Add(socket);
        }

        return sockets;
    }

    /// <summary>Open = the server has not closed it (no end-of-stream or reset readable).</summary>
    private static bool IsOpen(Socket socket)
    {
        try
        {
            return !(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitAsync(Func<bool> done, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!done())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}
