using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;
using Xunit.Abstractions;

namespace FedMesh.Node.Tests.Membership;

/// <summary>Cyclon on a seeded in-memory population: connectivity and in-degree spread under joins and churn.</summary>
public class PeerSamplerTests(ITestOutputHelper output)
{
    private static PeerId Id(int i) => PeerId.FromPublicKey(BitConverter.GetBytes(i).Concat(new byte[28]).ToArray());

    /// <summary>A population of samplers; shuffles are delivered at once, a shuffle to a departed node fails.</summary>
    private sealed class Population(int seed, PeerSamplingOptions options)
    {
        private readonly Random _random = new(seed);
        private int _next;

        public Dictionary<PeerId, PeerSampler> Alive { get; } = [];

        /// <summary>A new node that knows one live node (its seed), as a joiner that found one peer by mDNS or a seed.</summary>
        public void Join()
        {
            PeerId id = Id(_next++);
            var sampler = new PeerSampler(id, options, new Random(_random.Next()));
            if (Alive.Count > 0)
            {
                sampler.Add(Alive.Keys.ElementAt(_random.Next(Alive.Count)));
            }

            Alive.Add(id, sampler);
        }

        public void Leave() => Alive.Remove(Alive.Keys.ElementAt(_random.Next(Alive.Count)));

        public void Cycle()
        {
            PeerId[] order = [.. Alive.Keys];
            _random.Shuffle(order);
            foreach (PeerId id in order)
            {

                if (!Alive.TryGetValue(id, out PeerSampler? node) || node.StartShuffle() is not { } request)
                {
                    continue;
                }

                if (Alive.TryGetValue(request.Target, out PeerSampler? target))
                {
                    node.OnReply(request.Target, target.OnShuffle(id, request.Offer));
                }
            }

            foreach (PeerSampler lonely in Alive.Values.Where(s => s.View.Count == 0))
            {
                // Every peer it knew left: the daemon's seeds and mDNS feed Add again (one live node found).
                while (!lonely.Add(order[_random.Next(order.Length)]))
                {
                    // Drew the lonely node itself: draw again.
                }
            }
        }

        /// <summary>Live nodes reachable from the first over view edges taken both ways.</summary>
        public int Reachable()
        {
            var edges = Alive.Keys.ToDictionary(k => k, _ => new List<PeerId>());
            foreach ((PeerId id, PeerSampler s) in Alive)
            {
                foreach (ViewEntry e in s.View.Where(e => Alive.ContainsKey(e.Peer)))
                {
                    edges[id].Add(e.Peer);
                    edges[e.Peer].Add(id);
                }
            }

            var seen = new HashSet<PeerId> { Alive.Keys.First() };
            var queue = new Queue<PeerId>(seen);
            while (queue.TryDequeue(out PeerId at))
            {
                foreach (PeerId next in edges[at].Where(seen.Add))
                {
                    queue.Enqueue(next);
                }
            }

            return seen.Count;
        }

        public int[] InDegrees()
        {
            var counts = Alive.Keys.ToDictionary(k => k, _ => 0);
            foreach (ViewEntry e in Alive.Values.SelectMany(s => s.View).Where(e => counts.ContainsKey(e.Peer)))
            {
                counts[e.Peer]++;
            }

            return [.. counts.Values];
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Joins_one_seed_at_a_time_then_churn_keep_the_overlay_connected_with_in_degrees_near_the_view_size(int seed)
    {
        var options = PeerSamplingOptions.Default;
        var population = new Population(seed, options);
        for (int i = 0; i < 300; i++)
        {
            population.Join();
            if (i % 10 == 9)
            {
                population.Cycle();
            }
        }

        for (int cycle = 0; cycle < 30; cycle++)
        {
            population.Cycle();
        }

        // 40 cycles of churn: 2% of the nodes leave and as many join (each knowing one live node) every cycle.
        for (int cycle = 0; cycle < 40; cycle++)
        {
            for (int k = 0; k < 6; k++)
            {
                population.Leave();
                population.Join();
            }

            population.Cycle();
            Assert.True(population.Alive.Count == population.Reachable(), $"cycle {cycle}: {population.Alive.Count - population.Reachable()} nodes cut off");
        }

        int[] inDegrees = population.InDegrees();
        double mean = inDegrees.Average();
        double sd = Math.Sqrt(inDegrees.Average(d => (d - mean) * (d - mean)));
        output.WriteLine($"seed {seed}: in-degree mean {mean:F2}, sd {sd:F2}, min {inDegrees.Min()}, max {inDegrees.Max()}");
        Assert.All(population.Alive.Values, s => Assert.InRange(s.View.Count, 1, options.ViewSize));
        // Cyclon's in-degrees concentrate around c (Voulgaris et al. 2005, Fig. 6); a star or chain from the
        // one-seed joins would show as a max of tens or hundreds.
        Assert.True(inDegrees.Max() <= 3 * options.ViewSize, $"max in-degree {inDegrees.Max()}");
        Assert.True(sd <= 0.5 * options.ViewSize, $"in-degree sd {sd:F2}");
    }

    [Fact]
    public void The_view_is_bounded_and_never_holds_the_node_itself_or_a_peer_twice()
    {
        PeerId self = Id(0);
        var sampler = new PeerSampler(self, PeerSamplingOptions.Default with { ViewSize = 3, ShuffleLength = 2 }, new Random(1));
        Assert.False(sampler.Add(self));
        Assert.True(sampler.Add(Id(1)));
        Assert.False(sampler.Add(Id(1)));
        sampler.Add(Id(2));
        sampler.Add(Id(3));
        Assert.False(sampler.Add(Id(4)));

        // An offer longer than l, with this node, duplicates and out-of-range ages: only l entries are read.
        sampler.OnShuffle(Id(9), [new(self, 0), new(Id(1), -5), new(Id(5), int.MaxValue), new(Id(6), 0), new(Id(7), 0)]);

        Assert.Equal(3, sampler.View.Count);
        Assert.Equal(3, sampler.View.Select(e => e.Peer).Distinct().Count());
        Assert.DoesNotContain(sampler.View, e => e.Peer == self);
        Assert.DoesNotContain(sampler.View, e => e.Peer == Id(6) || e.Peer == Id(7));
    }

    [Fact]
    public void A_shuffle_goes_to_the_oldest_entry_which_leaves_the_view_and_a_stranger_reply_is_ignored()
    {
        var sampler = new PeerSampler(Id(0), PeerSamplingOptions.Default, new Random(1));
        sampler.Add(Id(1));
        Assert.Equal(Id(1), sampler.StartShuffle()!.Target);
        sampler.OnReply(Id(1), [new(Id(3), 5)]);
        sampler.Add(Id(2));
        ShuffleRequest request = sampler.StartShuffle()!;

        Assert.Equal(Id(3), request.Target);
        Assert.Equal(new ViewEntry(Id(0), 0), request.Offer[0]);
        Assert.DoesNotContain(sampler.View, e => e.Peer == Id(3));

        sampler.OnReply(Id(8), [new(Id(5), 0)]);
        Assert.DoesNotContain(sampler.View, e => e.Peer == Id(5));
        sampler.OnReply(Id(3), [new(Id(5), 0)]);
        Assert.Contains(sampler.View, e => e.Peer == Id(5));
    }

    [Fact]
    public void An_exploration_keeps_the_view_and_its_ages_and_its_reply_swaps_in_the_other_side_s_entries()
    {
        var sampler = new PeerSampler(Id(0), PeerSamplingOptions.Default with { ViewSize = 4, ShuffleLength = 2 }, new Random(1));
        foreach (int i in new[] { 1, 2, 3, 4 })
        {
            sampler.Add(Id(i));
        }

        ShuffleRequest request = sampler.Explore(Id(20));

        Assert.Equal(Id(20), request.Target);
        Assert.Equal([new ViewEntry(Id(0), 0), sampler.View.Single(e => e.Peer == request.Offer[1].Peer)], request.Offer);
        // Not a cycle: nothing aged, nothing left the view.
        Assert.Equal(4, sampler.View.Count);
        Assert.All(sampler.View, e => Assert.Equal(0, e.Age));

        // The reply replaces the entry offered (the view is full), as a cycle's does; a second reply is ignored.
        Assert.True(sampler.OnReply(Id(20), [new(Id(21), 0), new(Id(22), 0)]));
        Assert.Contains(sampler.View, e => e.Peer == Id(21));
        Assert.DoesNotContain(sampler.View, e => e.Peer == request.Offer[1].Peer || e.Peer == Id(22));
        Assert.False(sampler.OnReply(Id(20), [new(Id(23), 0)]));
        Assert.DoesNotContain(sampler.View, e => e.Peer == Id(23));

        // A cycle's shuffle pending next to an exploration: each reply is matched to its own request.
        ShuffleRequest cycle = sampler.StartShuffle()!;
        sampler.Explore(Id(30));
        Assert.False(sampler.OnReply(cycle.Target, [new(Id(31), 0)]));
        Assert.True(sampler.OnReply(Id(30), [new(Id(32), 0)]));
        Assert.Contains(sampler.View, e => e.Peer == Id(31));
        Assert.Contains(sampler.View, e => e.Peer == Id(32));
    }
}
