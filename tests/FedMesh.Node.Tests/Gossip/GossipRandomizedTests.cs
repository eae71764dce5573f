using Xunit.Abstractions;
using FedMesh.Node.Gossip;

namespace FedMesh.Node.Tests.Gossip;

/// <summary>
/// Seeded random schedules of publishes, connects, disconnects, stalls and slow (held, then released) sources, checked against invariants. The number of
/// seeds is 4 unless GOSSIP_SEEDS says otherwise (a longer soak: GOSSIP_SEEDS=300 dotnet test … --filter GossipRandomized).
/// </summary>
public class GossipRandomizedTests(ITestOutputHelper output)
{
    private const int Nodes = 8;

    /// <summary>Small windows and chunks so transfers span many messages and are often cut mid-way.</summary>
    private static readonly GossipOptions Options = GossipNetwork.Flood with { MaxChunksPerWant = 4 };

    /// <summary>Each round every node tells one random ready neighbour its newest deltas (push only): a node that gave
    /// up a pull waits until a holder picks it, probability ≥ 1/7 per round with ≤ 7 neighbours, so 100 rounds leave
    /// (6/7)^100 ≈ 2e-7 per hop (Demers et al. 1987 analyse the faster push-pull variant).</summary>
    private const int AntiEntropyRounds = 100;

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, int.Parse(Environment.GetEnvironmentVariable("GOSSIP_SEEDS") ?? "4", System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_churn_never_verifies_content_twice_and_every_component_converges_on_the_newest_deltas(int seed)
    {
        var rng = new Random(seed);
        var net = new GossipNetwork(Nodes, seed, Options);
        var newest = new StoredDelta?[Nodes];
        for (int step = 0; step < 300; step++)
        {
            int a = rng.Next(Nodes), b = rng.Next(Nodes);
            int roll = rng.Next(100);
            if (roll < 12)
            {
                newest[a] = net[a].Publish(chunkSize: 512, seed: step);
            }
            else if (roll < 35)
            {
                net.Connect(a, b);
            }
            else if (roll < 50)
            {
                net.Disconnect(a, b);
            }
            else if (roll < 53)
            {
                net.Silenced.Add(a);
            }
            else if (roll < 56)
            {
                net.Held.Add(a);
            }
            else if (roll < 66)
            {
                net.Silenced.Remove(a);
                net.Release(a);
            }
            else if (roll < 80)
            {
                net.Advance(TimeSpan.FromSeconds(rng.Next(1, 8)));
            }
            else
            {
                int budget = rng.Next(1, 60), delivered = 0;
                net.RunUntil(() => delivered++ >= budget);
            }
        }

        // Quiesce: stalls resolve (every pull either completes or is given up), then anti-entropy rounds (SPEC §9.5)
        // carry every origin's newest delta across each component; nothing reconnects.
        net.Silenced.Clear();
        for (int n = 0; n < Nodes; n++)
        {
            net.Release(n);
        }

        for (int i = 0; i <= PullOptions.Default.MaxAttempts; i++)
        {
            net.Run();
            net.Advance(PullOptions.Default.StallTimeout + TimeSpan.FromSeconds(1));
        }

        for (int round = 0; round < AntiEntropyRounds; round++)
        {
            net.Run();
            net.Advance(Options.AntiEntropyInterval);
        }

        net.Run();
        var edges = Topology.Full(Nodes).Where(e => net.IsConnected(e.Item1, e.Item2)).ToList();
        int[] component = Components(edges);
        output.WriteLine($"seed {seed}: {newest.Count(d => d is not null)} origins, {net.Nodes.Sum(x => x.Verified.Count)} verifications, " +
            $"{net.Nodes.Sum(x => x.Rejected.Count)} rejections, {net.Delivered} messages delivered, {edges.Count} edges at the end");
        for (int n = 0; n < Nodes; n++)
        {
            GossipTestNode node = net[n];
            Assert.Equal(node.Verified.Count, node.Verified.Select(d => d.ContentIdHex).Distinct().Count());
            Assert.Equal(0, node.Engine.TransfersInFlight);
            for (int origin = 0; origin < Nodes; origin++)
            {
                if (newest[origin] is { } d && component[origin] == component[n])
                {
                    Assert.True(node.Holds(d), $"seed {seed}: node {n} lacks the newest delta of origin {origin} in its component");
                }
            }
        }
    }

    private static int[] Components(List<(int, int)> edges)
    {
        int[] parent = Enumerable.Range(0, Nodes).ToArray();
        int Find(int x) => parent[x] == x ? x : parent[x] = Find(parent[x]);
        foreach ((int x, int y) in edges)
        {
            parent[Find(x)] = Find(y);
        }

        return Enumerable.Range(0, Nodes).Select(Find).ToArray();
    }
}
