using System.Net;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// The runtime's membership service uses node/Membership: the peer book fills from connections and peer exchange
/// and is saved as peers.json (a restarted node redials from it alone), and network.max_peers bounds the dials.
/// Runs over in-memory pipes on virtual time, so nothing depends on the machine's speed or ports.
/// </summary>
public class MembershipWiringTests
{
    private static readonly AdapterSchema Schema = new([new TensorInfo("w", [16])]);

    [Fact]
    public async Task Connected_and_exchanged_peers_enter_the_peer_book_which_is_saved_and_redialled_after_a_restart()
    {
        string dir = Directory.CreateTempSubdirectory("fedmesh-peers-").FullName;
        try
        {
            var network = new InMemoryNetwork();
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            using var a = NodeIdentity.Create();
            using var b = NodeIdentity.Create();
            using var c = NodeIdentity.Create();
            await using var na = await StartAsync(Parts(network, time, a, 1));
            await using var nb = await StartAsync(Parts(network, time, b, 2, seedHost: 1));
            string peersPath = Path.Combine(dir, "peers.json");
            await using (var nc = await StartAsync(Parts(network, time, c, 3, seedHost: 2) with { PeerBookPath = peersPath }))
            {
                // c knows only b; b's peer list tells it where a listens, and c dials a from its book. The status
                // lists a session as soon as it is registered, before the actor has handled its Hello (which puts
                // the peer in the book as Direct), so the wait is for both: on a loaded machine the book was read
                // in between.
                await UntilAsync(time, () => nc.GetStatus().Peers.Count == 2 && nc.PeerBook.TryGet(a.PeerId, out _));
                Assert.True(nc.PeerBook.TryGet(a.PeerId, out PeerRecord viaPex));
                Assert.True(viaPex.Sources.HasFlag(PeerSources.Pex) || viaPex.Sources.HasFlag(PeerSources.Direct));
                Assert.Equal("10.0.0.1:7000", viaPex.Addresses[0].ToString());
            }

            var saved = new PeerBook(c.PeerId, time);
            Assert.Equal(2, saved.Load(peersPath));

            // Restarted without seeds, c finds both from peers.json alone.
            await using var restarted = await StartAsync(Parts(network, time, c, 3) with { PeerBook = saved, PeerBookPath = peersPath });
            await UntilAsync(time, () => restarted.GetStatus().Peers.Count == 2);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_node_dials_at_most_max_peers_of_its_seeds_and_still_accepts_others()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, 5).Select(_ => NodeIdentity.Create()).ToArray();
        var seeds = new List<NodeRuntime>();
        try
        {
            for (int i = 1; i <= 4; i++)
            {
                seeds.Add(await StartAsync(Parts(network, time, ids[i], 10 + i)));
            }

            NodeParts parts = Parts(network, time, ids[0], 1) with
            {
                MaxPeers = 2,
                Seeds = [.. Enumerable.Range(11, 4).Select(h => new Seed(new PeerAddress($"10.0.0.{h}", 7000)))],
            };
            await using NodeRuntime node = await StartAsync(parts);
            await UntilAsync(time, () => node.GetStatus().Peers.Count == 2);
            // Ten dial ticks, each virtual second given time to settle (PeerSamplingWiringTests.AdvanceAsync): with
            // 20 ms of wall time per 2 s tick, on a loaded machine virtual time outran the 1 Hz pings and a healthy
            // session could be suspected and closed before the count was read.
            await PeerSamplingWiringTests.AdvanceAsync(time, [node, .. seeds], TimeSpan.FromSeconds(20));

            Assert.Equal(2, node.GetStatus().Peers.Count);
            Assert.All(node.GetStatus().Peers, p => Assert.Equal("outbound", p.Source));

            // Inbound is not bounded by max_peers: a third node that dials it is accepted.
            using var other = NodeIdentity.Create();
            await using NodeRuntime dialler = await StartAsync(Parts(network, time, other, 99, seedHost: 1));
            await UntilAsync(time, () => node.GetStatus().Peers.Count == 3);
        }
        finally
        {
            foreach (NodeRuntime s in seeds)
            {
                await s.DisposeAsync();
            }

            foreach (NodeIdentity id in ids)
            {
                id.Dispose();
            }
        }
    }

    internal static async Task<NodeRuntime> StartAsync(NodeParts parts, ILoggerFactory? logs = null)
    {
        var runtime = new NodeRuntime(parts, logs ?? NullLoggerFactory.Instance);
        await runtime.StartAsync(CancellationToken.None);
        return runtime;
    }

    /// <summary>Advances virtual time a second at a time (the tick and dial intervals) until the condition holds.</summary>
    private static async Task UntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, timeout.Token);
        }
    }

    internal static NodeParts Parts(InMemoryNetwork network, TimeProvider time, NodeIdentity id, int host, int? seedHost = null) => new()
    {
        Identity = id,
        Mesh = new LocalMesh(NodeRuntime.MeshIdFor("book"), new byte[32], Schema),
        MeshName = "book",
        Listen = new IPEndPoint(IPAddress.Parse($"10.0.0.{host}"), 7000),
        Seeds = seedHost is { } s ? [new Seed(new PeerAddress($"10.0.0.{s}", 7000))] : [],
        Gossip = GossipOptions.Default,
        Transport = network.Host(IPAddress.Parse($"10.0.0.{host}")),
        Time = time,
        Seed = host,
    };
}
