using FedMesh.Node.Hosting;
using FedMesh.Node.Membership;
using FedMesh.Node.Transport;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Hosting;

/// <summary>
/// The runtime's Cyclon peer sampling (SPEC.md §9.10) over in-memory pipes on virtual time: 40 nodes that know only
/// one seed end with bounded partial views forming one connected overlay, and after 20 % of them leave the survivors'
/// views drop the departed and the overlay is connected again.
/// </summary>
public class PeerSamplingWiringTests(ITestOutputHelper output)
{
    private const int Nodes = 40;
    private const int ViewSize = 8;

    [Fact]
    public async Task Forty_nodes_seeded_from_one_keep_bounded_connected_views_and_reconnect_after_a_fifth_leave()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, Nodes).Select(_ => NodeIdentity.Create()).ToArray();
        var nodes = new Dictionary<PeerId, NodeRuntime>();
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                NodeParts parts = MembershipWiringTests.Parts(network, time, ids[i], i + 1, seedHost: i == 0 ? null : 1);
                nodes[ids[i].PeerId] = await MembershipWiringTests.StartAsync(parts);
            }

            // Enough shuffle cycles (10 s each) for the views to mix away from the seed.
            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(200));
            Assert.All(nodes.Values, n => Assert.True(n.PeerView.Count is >= 1 and <= ViewSize, $"{n.ListenEndPoint}: view of {n.PeerView.Count}, {n.GetStatus().Peers.Count} sessions"));
            Assert.True(Connected(nodes), "the overlay of partial views is not connected");
            // Views are partial: the seed is not in everyone's view any more (it was the only peer anyone knew).
            Assert.True(nodes.Values.Count(n => n.PeerView.Contains(ids[0].PeerId)) < Nodes - 1, "every node still holds the seed");

            // A fifth leaves (not the seed, so the test is about the overlay, not the bootstrap point).
            foreach (NodeIdentity gone in ids.Skip(1).Take(Nodes / 5))
            {
                await nodes[gone.PeerId].DisposeAsync();
                nodes.Remove(gone.PeerId);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            while (!(nodes.Values.All(n => n.PeerView.Count > 0 && n.PeerView.All(nodes.ContainsKey)) && Connected(nodes)))
            {
                await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(10), timeout.Token);
            }

            Assert.All(nodes.Values, n => Assert.InRange(n.PeerView.Count, 1, ViewSize));
        }
        finally
        {
            await StopAsync(nodes.Values, ids);
        }
    }

    /// <summary>
    /// Degree stays bounded (SPEC.md §9.10): 40 nodes seeded from one join, a fifth leave and eight new ones join
    /// through the seed; once the overlay settled, every node has dialled at most c = view size of its sessions (the
    /// others are peers that hold it in their views), so the mean degree is at most 2c, and the overlay of sessions
    /// is still one component. Before sessions outside the view were closed, nodes dialled up to max_peers (16).
    /// </summary>
    [Fact]
    public async Task Sessions_outside_the_view_are_closed_so_every_node_s_degree_stays_bounded_after_churn()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, Nodes + 8).Select(_ => NodeIdentity.Create()).ToArray();
        var nodes = new Dictionary<PeerId, NodeRuntime>();
        var sampling = PeerSamplingOptions.Default with { OutOfViewGrace = TimeSpan.FromSeconds(30) };
        var logs = new CapturedLogs();
        using ILoggerFactory logFactory = logs.Factory();
        async Task StartAsync(int i) =>
            nodes[ids[i].PeerId] = await MembershipWiringTests.StartAsync(
                MembershipWiringTests.Parts(network, time, ids[i], i + 1, seedHost: i == 0 ? null : 1) with { PeerSampling = sampling }, logFactory);
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                await StartAsync(i);
            }

            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(120));
            foreach (NodeIdentity gone in ids.Skip(1).Take(Nodes / 5))
            {
                await nodes[gone.PeerId].DisposeAsync();
                nodes.Remove(gone.PeerId);
            }

            for (int i = Nodes; i < ids.Length; i++)
            {
                await StartAsync(i);
            }

            // Joins and departures settle: grace (30 s) plus failure detection of the departed (≈ 16 s) plus shuffles.
            // The bounds hold at any instant; being one component is eventual: an overlay the churn split (a joiner
            // refused everywhere, views that forgot each other) is joined by the next explorations (one a minute per
            // node; before them it stayed split for good). So: bounds now, then one component within ten minutes of
            // virtual time, with the bounds holding there too.
            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(150));
            AssertBounded(nodes, sampling);
            using var wall = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var waited = TimeSpan.Zero;
            for (; !(SessionsConnected(nodes) && Degrees(nodes).All(d => d >= 1)) && waited < TimeSpan.FromMinutes(10); waited += TimeSpan.FromSeconds(10))
            {
                await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(10), wall.Token);
            }

            string shown = AssertBounded(nodes, sampling);
            output.WriteLine($"one component {waited.TotalSeconds} s (virtual) after the 150 s settle; {shown}");
            Assert.True(Degrees(nodes).All(d => d >= 1), shown);
            Assert.True(SessionsConnected(nodes), $"the overlay of sessions is not connected: {shown}");

            // Closing those sessions is upkeep, logged at Information (event 6077), not as warnings that would bury
            // real faults: 32 daemons over 40 rounds closed ~1,500.
            Assert.Contains(logs.Lines, l => l.StartsWith("Information 6077 ", StringComparison.Ordinal) && l.Contains("outside the peer-sampling view", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Warnings(6009), t => t.Contains("outside the peer-sampling view", StringComparison.Ordinal));
        }
        finally
        {
            await StopAsync(nodes.Values, ids);
        }
    }

    /// <summary>
    /// The inbound cap (SPEC.md §9.10): twelve nodes that know only one hub all dial it. The hub answers those over its
    /// cap (view size 3 + 2 = 5) with its peer list and Bye(Overloaded); the refused ones dial the peers listed instead.
    /// Once joined, the hub never holds more than the cap of inbound sessions, nodes the hub refused still have
    /// sessions, and the overlay of sessions is one component. Without the cap all twelve stayed on the hub.
    /// </summary>
    [Fact]
    public async Task A_hub_every_joiner_dials_keeps_at_most_its_inbound_cap_and_refused_joiners_connect_through_its_peer_list()
    {
        const int Joiners = 12;
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, Joiners + 1).Select(_ => NodeIdentity.Create()).ToArray();
        var nodes = new Dictionary<PeerId, NodeRuntime>();
        var sampling = PeerSamplingOptions.Default with { ViewSize = 3, ShuffleLength = 2 };
        try
        {
            for (int i = 0; i <= Joiners; i++)
            {
                nodes[ids[i].PeerId] = await MembershipWiringTests.StartAsync(
                    MembershipWiringTests.Parts(network, time, ids[i], i + 1, seedHost: i == 0 ? null : 1) with { PeerSampling = sampling });
            }

            NodeRuntime hub = nodes[ids[0].PeerId];
            int Inbound(NodeRuntime n) => n.AdmittedInbound;
            int most = 0;
            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(60), tick: () => most = Math.Max(most, Inbound(hub)));
            // Settled: a minute more, the hub sampled every second.
            int settled = 0;
            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(60), tick: () => settled = Math.Max(settled, Inbound(hub)));

            int[] degrees = nodes.Values.Select(n => n.GetStatus().Peers.Count).ToArray();
            var withHub = hub.GetStatus().Peers.Select(p => PeerId.Parse(p.PeerId)).ToHashSet();
            string shown = $"hub inbound: most {most} while joining, {settled} settled (cap {sampling.InboundCap}); degrees {string.Join(",", degrees.Order())}";
            Assert.True(settled <= sampling.InboundCap, shown);
            Assert.True(degrees.All(d => d >= 1), shown);
            // The refused joiners (all but the cap, and the hub's own view dials) found others through its peer list.
            Assert.True(ids.Skip(1).Count(id => !withHub.Contains(id.PeerId)) >= Joiners - sampling.InboundCap - sampling.ViewSize, shown);
            Assert.True(SessionsConnected(nodes), $"the overlay of sessions is not connected: {shown}");
        }
        finally
        {
            await StopAsync(nodes.Values, ids);
        }
    }

    /// <summary>
    /// Redial after a heal: eight nodes split 4/4 for five minutes, so every dial across the cut fails and its backoff
    /// grows towards the 60 s ceiling. Once the cut heals, the first link across brings each side a peer list naming
    /// the other side's peers (up again), those dial targets become due at once, and every node is back to all seven
    /// peers within a few dial ticks instead of each pair waiting out its own backoff (up to 60 s; not measured here).
    /// Both ends of a pair learn of each other at once and dial at the same tick: those crossed dials must leave one
    /// session (before ConnectionManager.SendForEngine they lost both, again and again, under load: 38–142 s).
    /// </summary>
    [Fact]
    public async Task After_a_partition_heals_peers_named_in_a_peer_list_are_redialled_without_waiting_out_their_backoff()
    {
        const int Count = 8;
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, Count).Select(_ => NodeIdentity.Create()).ToArray();
        var nodes = new List<NodeRuntime>();
        try
        {
            for (int i = 0; i < Count; i++)
            {
                nodes.Add(await MembershipWiringTests.StartAsync(MembershipWiringTests.Parts(network, time, ids[i], i + 1, seedHost: i == 0 ? null : 1)));
            }

            using (var joined = new CancellationTokenSource(TimeSpan.FromMinutes(4)))
            {
                while (!nodes.All(n => n.GetStatus().Peers.Count == Count - 1))
                {
                    await AdvanceAsync(time, nodes, TimeSpan.FromSeconds(1), joined.Token);
                }
            }

            // Hosts 10.0.0.1-4 and 10.0.0.5-8.
            Split(network, Count / 2);
            await AdvanceAsync(time, nodes, TimeSpan.FromMinutes(5));
            Assert.All(nodes, n => Assert.Equal(Count / 2 - 1, n.GetStatus().Peers.Count));

            network.Reachable = null;
            int seconds = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            while (!nodes.All(n => n.GetStatus().Peers.Count == Count - 1))
            {
                await AdvanceAsync(time, nodes, TimeSpan.FromSeconds(1), timeout.Token);
                seconds++;
            }

            Assert.True(seconds <= 20, $"all links back {seconds} s after the heal");
        }
        finally
        {
            await StopAsync(nodes, ids);
        }
    }

    /// <summary>
    /// A split overlay heals (SPEC.md §9.10 exploration): 24 nodes split 12/12 for four minutes. Each side keeps
    /// at least view-size sessions among itself, and Cyclon drops the unreachable side from every view, so once the
    /// cut heals no node would ever dial across again: it dials only its view's peers when it has view-size sessions,
    /// and views only learn from peers they have sessions with (the two overlays stayed apart for good before
    /// exploration; the churn test's split). A node's periodic dial of a random known peer outside its view, with a
    /// shuffle over that session, brings entries of the other side into the views and the overlay of sessions is one
    /// component again.
    /// </summary>
    [Fact]
    public async Task A_split_overlay_whose_views_forgot_the_other_side_is_one_component_again_after_the_cut_heals()
    {
        const int Count = 24;
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = Enumerable.Range(0, Count).Select(_ => NodeIdentity.Create()).ToArray();
        var nodes = new Dictionary<PeerId, NodeRuntime>();
        try
        {
            for (int i = 0; i < Count; i++)
            {
                nodes[ids[i].PeerId] = await MembershipWiringTests.StartAsync(MembershipWiringTests.Parts(network, time, ids[i], i + 1, seedHost: i == 0 ? null : 1));
            }

            await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(60));
            Assert.True(SessionsConnected(nodes), "the overlay of sessions did not form");

            // Hosts 10.0.0.1-12 and 10.0.0.13-24; the seed is on the first side.
            Split(network, Count / 2);
            await AdvanceAsync(time, nodes.Values, TimeSpan.FromMinutes(4));

            var first = ids.Take(Count / 2).Select(id => id.PeerId).ToHashSet();
            bool Across(PeerId a, PeerId b) => first.Contains(a) != first.Contains(b);
            int[] degrees = nodes.Values.Select(n => n.GetStatus().Peers.Count).ToArray();
            string shown = $"degrees {string.Join(",", degrees.Order())}";
            // The state the bug left for good: every node at view size or more (so none dials outside its view) and
            // no view naming the other side.
            Assert.True(degrees.All(d => d >= PeerSamplingOptions.Default.ViewSize), shown);
            Assert.DoesNotContain(nodes, n => n.Value.PeerView.Any(p => Across(n.Key, p)));
            Assert.False(SessionsConnected(nodes), shown);

            network.Reachable = null;
            using var wall = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var healed = TimeSpan.Zero;
            while (!SessionsConnected(nodes) && healed < TimeSpan.FromMinutes(10))
            {
                await AdvanceAsync(time, nodes.Values, TimeSpan.FromSeconds(10), wall.Token);
                healed += TimeSpan.FromSeconds(10);
            }

            Assert.True(SessionsConnected(nodes), $"still split {healed.TotalSeconds} s (virtual) after the heal: {shown}");
            output.WriteLine($"one component within {healed.TotalSeconds} s (virtual) of the heal");
        }
        finally
        {
            await StopAsync(nodes.Values, ids);
        }
    }

    /// <summary>Each node's sessions as status lists them.</summary>
    private static int[] Degrees(Dictionary<PeerId, NodeRuntime> nodes) => [.. nodes.Values.Select(n => n.GetStatus().Peers.Count)];

    /// <summary>
    /// The bounds of SPEC.md §9.10: at most c sessions a node dialled; every session is someone's dialled one, so
    /// the mean degree is at most 2c; at most the inbound cap (c + 2) of sessions others dialled are admitted (before
    /// the cap, degrees measured 9..29 at c = 8: the seed every joiner dialled). The mean degree counts the links
    /// both ends list: with every node at c dialled sessions it is exactly 2c, and a session one end already dropped
    /// while the other still says goodbye would tip a one-sided count over it. Returns the figures shown.
    /// </summary>
    private static string AssertBounded(Dictionary<PeerId, NodeRuntime> nodes, PeerSamplingOptions sampling)
    {
        int[] degrees = Degrees(nodes);
        int[] dialled = [.. nodes.Values.Select(n => n.GetStatus().Peers.Count(p => p.Source == "outbound"))];
        int[] inbound = [.. nodes.Values.Select(n => n.AdmittedInbound)];
        var lists = nodes.ToDictionary(n => n.Key, n => n.Value.GetStatus().Peers.Select(p => PeerId.Parse(p.PeerId)).ToHashSet());
        int links = lists.Sum(l => l.Value.Count(p => lists.TryGetValue(p, out HashSet<PeerId>? other) && other.Contains(l.Key))) / 2;
        double mean = 2.0 * links / nodes.Count;
        string shown = $"degrees {string.Join(",", degrees.Order())}; dialled {string.Join(",", dialled.Order())}; inbound {string.Join(",", inbound.Order())}; mean degree {mean:F2}";
        Assert.True(dialled.All(d => d <= sampling.ViewSize), shown);
        Assert.True(inbound.All(d => d <= sampling.InboundCap), shown);
        Assert.True(mean <= 2 * sampling.ViewSize, shown);
        return shown;
    }

    /// <summary>Cuts hosts 10.0.0.1..<paramref name="last"/> off from the others: dials across are refused and the
    /// connections across reset, until <see cref="InMemoryNetwork.Reachable"/> is set back to null.</summary>
    private static void Split(InMemoryNetwork network, int last)
    {
        bool Side(System.Net.IPAddress a) => a.GetAddressBytes()[3] <= last;
        bool Cut(System.Net.IPAddress a, System.Net.IPAddress b) => Side(a) != Side(b);
        network.Reachable = (a, b) => !Cut(a, b);
        network.Sever(Cut);
    }

    /// <summary>Stops the nodes still running and disposes every identity.</summary>
    private static async Task StopAsync(IEnumerable<NodeRuntime> nodes, IEnumerable<NodeIdentity> ids)
    {
        foreach (NodeRuntime n in nodes)
        {
            await n.DisposeAsync();
        }

        foreach (NodeIdentity id in ids)
        {
            id.Dispose();
        }
    }

    /// <summary>The sessions as an undirected graph over the live nodes is one component.</summary>
    private static bool SessionsConnected(Dictionary<PeerId, NodeRuntime> nodes) =>
        Components(nodes, n => n.GetStatus().Peers.Select(p => PeerId.Parse(p.PeerId)));

    /// <summary>The views as an undirected graph over the live nodes is one component.</summary>
    private static bool Connected(Dictionary<PeerId, NodeRuntime> nodes) => Components(nodes, n => n.PeerView);

    /// <summary>The graph whose edges are each live node's <paramref name="links"/> (to live nodes, either direction)
    /// is one component.</summary>
    private static bool Components(Dictionary<PeerId, NodeRuntime> nodes, Func<NodeRuntime, IEnumerable<PeerId>> links)
    {
        var edges = nodes.Keys.ToDictionary(p => p, _ => new HashSet<PeerId>());
        foreach ((PeerId id, NodeRuntime n) in nodes)
        {
            foreach (PeerId other in links(n).Where(nodes.ContainsKey))
            {
                edges[id].Add(other);
                edges[other].Add(id);
            }
        }

        var seen = new HashSet<PeerId> { nodes.Keys.First() };
        var queue = new Queue<PeerId>(seen);
        while (queue.TryDequeue(out PeerId p))
        {
            foreach (PeerId q in edges[p].Where(seen.Add))
            {
                queue.Enqueue(q);
            }
        }

        return seen.Count == nodes.Count;
    }

    /// <summary>
    /// A virtual second at a time, with 100 ms of wall time for the nodes' frames to be handled, and then as long as
    /// any node still has a dial in flight or gossip work queued (<see cref="NodeRuntime.Busy"/>): on a loaded
    /// machine a fixed wall-time step fell behind, and virtual time ran on while handshakes and heartbeats waited for a
    /// core, so dials timed out (their backoff grew) and healthy sessions were suspected. (The heal test's failures
    /// under load had another cause as well: crossed dials that lost both sessions to a second Hello, see
    /// ConnectionManager.SendForEngine.) A step that cannot settle within 10 s of wall time moves on.
    /// </summary>
    internal static async Task AdvanceAsync(FakeTimeProvider time, IEnumerable<NodeRuntime> nodes, TimeSpan span, CancellationToken cancel = default, Action? tick = null)
    {
        for (var t = TimeSpan.Zero; t < span; t += TimeSpan.FromSeconds(1))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100, cancel);
            for (int waited = 0; waited < 1000 && nodes.Any(n => n.Busy); waited++)
            {
                await Task.Delay(10, cancel);
            }

            tick?.Invoke();
        }
    }
}
