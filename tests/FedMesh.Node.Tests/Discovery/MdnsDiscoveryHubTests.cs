using System.Net;
using FedMesh.Node.Discovery;
using Microsoft.Extensions.Time.Testing;
using static FedMesh.Node.Tests.Discovery.MdnsTestSupport;

namespace FedMesh.Node.Tests.Discovery;

/// <summary>Two or more discovery instances over the in-memory multicast hub, on a fake clock.</summary>
public sealed class MdnsDiscoveryHubTests : IAsyncLifetime
{
    private readonly InMemoryMulticastHub _hub = new();
    private readonly FakeTimeProvider _time = new();

    private static readonly IPAddress AddressA = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress AddressB = IPAddress.Parse("192.0.2.2");

    private readonly List<MdnsDiscovery> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (MdnsDiscovery node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private (MdnsDiscovery Discovery, IMulticastTransport Transport) Node(int i, string mesh = "lab", MdnsOptions? options = null)
    {
        IMulticastTransport transport = _hub.CreateTransport();
        var discovery = new MdnsDiscovery(Service(i, mesh, 7340 + i), transport, _time, new Random(i), options);
        _nodes.Add(discovery);
        return (discovery, transport);
    }

    /// <summary>Nodes 1 and 2 on link "lan" (192.0.2.1 and .2), started in that order.</summary>
    private async Task<(MdnsDiscovery A, MdnsDiscovery B)> StartPairAsync(string meshB = "lab", MdnsOptions? optionsB = null)
    {
        var (a, ta) = Node(1);
        var (b, tb) = Node(2, meshB, optionsB);
        _hub.Attach(ta, "lan", AddressA);
        _hub.Attach(tb, "lan", AddressB);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        return (a, b);
    }

    private static bool Sees(MdnsDiscovery d, int i) => d.Known.Any(p => p.PeerId == Service(i).PeerId);

    [Fact]
    public async Task Two_instances_on_one_link_find_each_other_with_their_endpoints()
    {
        var (a, b) = await StartPairAsync();

        await EventuallyAsync(() => Sees(a, 2) && Sees(b, 1), _time, "a and b see each other");
        Assert.Equal([new IPEndPoint(AddressB, 7342)], a.Known.Single().EndPoints);
        Assert.Equal([new IPEndPoint(AddressA, 7341)], b.Known.Single().EndPoints);
        Assert.Equal("lab", b.Known.Single().MeshId);
        Assert.Equal(["192.0.2.2:7342"], a.Known.Single().Addresses.Select(x => x.ToString()));
        // RFC 6762 §8.3: a second unsolicited announcement one second after the first.
        await EventuallyAsync(() => a.Counters.AnnouncementsSent >= 2, _time, "second announcement");
    }

    [Fact]
    public async Task Changes_stream_reports_found_then_lost_on_goodbye()
    {
        var (a, b) = await StartPairAsync();
        await EventuallyAsync(() => Sees(a, 2), _time, "a sees b");

        await b.StopAsync();
        await EventuallyAsync(() => !Sees(a, 2), null, "goodbye removes b");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var changes = new List<DiscoveredPeer>();
        await foreach (DiscoveredPeer change in a.ReadChangesAsync(cts.Token))
        {
            changes.Add(change);
            if (change.Change == DiscoveryChange.Lost)
            {
                break;
            }
        }

        Assert.Equal([DiscoveryChange.Found, DiscoveryChange.Lost], changes.Select(c => c.Change));
        Assert.All(changes, c => Assert.Equal(Service(2).PeerId, c.PeerId));
    }

    [Fact]
    public async Task Interface_attached_after_start_is_announced_and_queried()
    {
        var (a, ta) = Node(1);
        var (b, tb) = Node(2);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        // Let both query schedules back off for a while with no interfaces at all.
        await EventuallyAsync(() => b.Counters.QueriesSent >= 5, _time, "queries while alone", stepMs: 1000);
        Assert.Empty(a.Known);

        _hub.Attach(ta, "lan", AddressA);
        _hub.Attach(tb, "lan", AddressB);
        await EventuallyAsync(() => Sees(a, 2) && Sees(b, 1), _time, "a and b see each other after the link appears", maxSteps: 50);
    }

    [Fact]
    public async Task Listen_only_instance_finds_announcers_without_being_seen()
    {
        var (a, browser) = await StartPairAsync(optionsB: MdnsOptions.Default with { Announce = false });
        await EventuallyAsync(() => Sees(browser, 1) && browser.Counters.QueriesSent >= 3, _time, "browser sees a after a few queries");
        Assert.Empty(a.Known);
        Assert.Equal(0, browser.Counters.AnnouncementsSent);
        Assert.Equal(0, browser.Counters.QueriesAnswered);
    }

    [Fact]
    public void Discover_command_arguments_are_checked_with_clear_errors()
    {
        Assert.Null(DiscoverCommand.Validate("lab", 5, 5353));
        Assert.Contains("--mesh", DiscoverCommand.Validate("", 5, 5353), StringComparison.Ordinal);
        Assert.Contains("--seconds", DiscoverCommand.Validate("lab", 0, 5353), StringComparison.Ordinal);
        Assert.Contains("--port", DiscoverCommand.Validate("lab", 5, 70000), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peers_of_another_mesh_are_ignored()
    {
        var (a, b) = await StartPairAsync(meshB: "other");
        await EventuallyAsync(() => a.Counters.OtherMeshIgnored > 0 && b.Counters.OtherMeshIgnored > 0, _time, "both ignore the other mesh");
        Assert.Empty(a.Known);
        Assert.Empty(b.Known);
    }

    [Fact]
    public async Task Answering_peer_stays_known_past_its_ttl_and_a_silent_one_expires()
    {
        var (a, b) = await StartPairAsync();
        var (c, tc) = Node(3);
        _hub.Attach(tc, "lan", IPAddress.Parse("192.0.2.3"));
        await c.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => Sees(a, 2) && Sees(a, 3), _time, "a sees b and c");

        // c vanishes without a goodbye (crash, cable pulled): its transport leaves the link.
        await tc.DisposeAsync();
        await c.DisposeAsync();
        // Host records live 120 s: b answers a's cache-refresh queries at 80 % of that, c cannot.
        await EventuallyAsync(() => !Sees(a, 3), _time, "c expires", stepMs: 2000);
        // Three more minutes: b's first records (120 s) are long expired, so it must have been refreshed twice.
        DateTimeOffset until = _time.GetUtcNow() + TimeSpan.FromMinutes(3);
        await EventuallyAsync(() => _time.GetUtcNow() >= until || !Sees(a, 2), _time, "three more minutes", stepMs: 2000);
        Assert.True(Sees(a, 2), "b, which answers refresh queries, was dropped");
        Assert.True(a.Counters.QueriesSent > 3);
    }
}
