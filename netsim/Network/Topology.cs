namespace FedMesh.NetSim.Network;

/// <summary>Who may talk to whom: undirected neighbour lists, generated from a seed.</summary>
public static class Topology
{
    /// <summary>Everyone is everyone's neighbour.</summary>
    public static int[][] Full(int n) =>
        Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Where(j => j != i).ToArray()).ToArray();

    /// <summary>
    /// Random k-regular graph by the pairing (configuration) model with restarts: stubs are shuffled and paired;
    /// a pairing with a self-loop or a double edge is discarded. Needs n·k even and k &lt; n.
    /// </summary>
    public static int[][] RandomRegular(int n, int k, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (k >= n || k < 1 || n * k % 2 != 0)
        {
            throw new ArgumentException($"a {k}-regular graph on {n} nodes needs 1 ≤ k < n and n·k even");
        }

        for (int attempt = 0; attempt < 1000; attempt++)
        {
            if (TryPairing(n, k, random) is { } graph)
            {
                return graph;
            }
        }

        throw new InvalidOperationException($"no simple {k}-regular pairing on {n} nodes after 1000 attempts");
    }

    /// <summary>Watts–Strogatz small world: a ring where each node links to k/2 neighbours per side, each edge
    /// rewired with probability p to a random node (no self-loops or duplicates).</summary>
    public static int[][] SmallWorld(int n, int k, double p, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (k < 2 || k >= n || k % 2 != 0)
        {
            throw new ArgumentException($"small-world needs an even k with 2 ≤ k < n, got k = {k}, n = {n}");
        }

        var sets = Enumerable.Range(0, n).Select(_ => new SortedSet<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            for (int j = 1; j <= k / 2; j++)
            {
                int target = (i + j) % n;
                if (random.NextDouble() < p)
                {
                    int candidate = random.Next(n);
                    if (candidate != i && !sets[i].Contains(candidate))
                    {
                        target = candidate;
                    }
                }

                if (target != i)
                {
                    sets[i].Add(target);
                    sets[target].Add(i);
                }
            }
        }

        return sets.Select(s => s.ToArray()).ToArray();
    }

    /// <summary>Dense clusters joined by a few bridges: nodes split into <paramref name="clusters"/> equal groups,
    /// full inside a group, and <paramref name="bridges"/> random edges between each pair of adjacent groups.</summary>
    public static int[][] Clusters(int n, int clusters, int bridges, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (clusters < 1 || clusters > n)
        {
            throw new ArgumentException($"clusters must be between 1 and {n}");
        }

        var sets = Enumerable.Range(0, n).Select(_ => new SortedSet<int>()).ToArray();
        int ClusterOf(int i) => (int)((long)i * clusters / n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (ClusterOf(i) == ClusterOf(j))
                {
                    sets[i].Add(j);
                    sets[j].Add(i);
                }
            }
        }

        for (int c = 0; c < clusters && clusters > 1; c++)
        {
            int next = (c + 1) % clusters;
            int[] a = Enumerable.Range(0, n).Where(i => ClusterOf(i) == c).ToArray();
            int[] b = Enumerable.Range(0, n).Where(i => ClusterOf(i) == next).ToArray();
            for (int e = 0; e < bridges; e++)
            {
                int x = a[random.Next(a.Length)], y = b[random.Next(b.Length)];
                sets[x].Add(y);
                sets[y].Add(x);
            }
        }

        return sets.Select(s => s.ToArray()).ToArray();
    }

    /// <summary>True if every node can reach every other.</summary>
    public static bool IsConnected(int[][] graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var seen = new bool[graph.Length];
        var stack = new Stack<int>([0]);
        seen[0] = true;
        int count = 1;
        while (stack.Count > 0)
        {
            foreach (int next in graph[stack.Pop()])
            {
                if (!seen[next])
                {
                    seen[next] = true;
                    count++;
                    stack.Push(next);
                }
            }
        }

        return count == graph.Length;
    }

    /// <summary>Steger–Wormald (1999): repeatedly join two random open stubs of different, not yet adjacent
    /// nodes; restart when stuck. Near-uniform for sparse k and, unlike plain pairing with restarts, fast for
    /// k ≥ 8 (plain pairing succeeds with probability ≈ exp(−(k²−1)/4)).</summary>
    private static int[][]? TryPairing(int n, int k, Random random)
    {
        var stubs = new List<int>(n * k);
        for (int i = 0; i < n * k; i++)
        {
            stubs.Add(i / k);
        }

        var sets = Enumerable.Range(0, n).Select(_ => new HashSet<int>()).ToArray();
        while (stubs.Count > 0)
        {
            bool joined = false;
            for (int tries = 0; tries < 50 * stubs.Count && !joined; tries++)
            {
                int x = random.Next(stubs.Count), y = random.Next(stubs.Count);
                int a = stubs[x], b = stubs[y];
                if (x == y || a == b || sets[a].Contains(b))
                {
                    continue;
                }

                sets[a].Add(b);
                sets[b].Add(a);
                RemoveAt(stubs, Math.Max(x, y));
                RemoveAt(stubs, Math.Min(x, y));
                joined = true;
            }

            if (!joined)
            {
                return null;
            }
        }

        return sets.Select(s => s.Order().ToArray()).ToArray();
    }

    private static void RemoveAt(List<int> list, int index)
    {
        list[index] = list[^1];
        list.RemoveAt(list.Count - 1);
    }
}
