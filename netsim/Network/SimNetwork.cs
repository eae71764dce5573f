using FedMesh.NetSim.Simulation;

namespace FedMesh.NetSim.Network;

/// <summary>
/// The simulated network: directed links between node indices with latency, bandwidth and loss, partitions into
/// named groups, and nodes that are down. Delivery is an event on the <see cref="VirtualClock"/>. All randomness
/// comes from one seeded <see cref="Random"/>, consumed in event order, so runs are reproducible.
/// </summary>
public sealed class SimNetwork
{
    private readonly VirtualClock _clock;
    private readonly Random _random;
    private readonly Dictionary<(int From, int To), LinkState> _links = [];
    private readonly int[] _group;
    private readonly bool[] _down;

    public SimNetwork(VirtualClock clock, int nodes, Random random, LinkProfile? defaultProfile = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodes);
        _clock = clock;
        _random = random;
        NodeCount = nodes;
        DefaultProfile = defaultProfile ?? LinkProfile.Default;
        _group = new int[nodes];
        _down = new bool[nodes];
    }

    public int NodeCount { get; }

    public LinkProfile DefaultProfile { get; set; }

    public long MessagesSent { get; private set; }

    public long MessagesDropped { get; private set; }

    public long BytesDelivered { get; private set; }

    /// <summary>Sets the profile of the link from → to (one direction).</summary>
    public void SetLink(int from, int to, LinkProfile profile) => Link(from, to).Profile = profile;

    /// <summary>Splits the nodes into groups; messages between different groups are dropped until <see cref="Heal"/>.
    /// Nodes not listed stay in group 0.</summary>
    public void Partition(IReadOnlyList<IReadOnlyCollection<int>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Array.Clear(_group);
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (int node in groups[g])
            {
                _group[node] = g + 1;
            }
        }
    }

    public void Heal() => Array.Clear(_group);

    public bool CanReach(int from, int to) => !_down[from] && !_down[to] && _group[from] == _group[to];

    public void SetDown(int node, bool down) => _down[node] = down;

    public bool IsDown(int node) => _down[node];

    /// <summary>Sends <paramref name="bytes"/> bytes from → to; <paramref name="deliver"/> runs at arrival unless the
    /// message is lost, the nodes are partitioned, or either end is down at send or arrival time.</summary>
    public bool Send(int from, int to, long bytes, Action deliver)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        MessagesSent++;
        if (!CanReach(from, to))
        {
            MessagesDropped++;
            return false;
        }

        LinkState link = Link(from, to);
        LinkProfile profile = link.Profile ?? DefaultProfile;
        if (profile.Loss > 0 && _random.NextDouble() < profile.Loss)
        {
            MessagesDropped++;
            return false;
        }

        // Serialisation: the message starts when the link is free and occupies it for bytes / bandwidth.
        TimeSpan now = _clock.Elapsed;
        TimeSpan start = link.BusyUntil > now ? link.BusyUntil : now;
        TimeSpan transmit = profile.BandwidthBytesPerSecond > 0
            ? TimeSpan.FromSeconds(bytes / profile.BandwidthBytesPerSecond)
            : TimeSpan.Zero;
        link.BusyUntil = start + transmit;
        TimeSpan arrival = link.BusyUntil + profile.SampleLatency(_random);

        // A link is one TCP stream: jitter delays messages but never reorders them (a message cannot overtake the
        // one sent before it on the same link).
        if (arrival < link.LastArrival)
        {
            arrival = link.LastArrival;
        }

        link.LastArrival = arrival;
        _clock.Schedule(arrival - now, () =>
        {
            if (!CanReach(from, to))
            {
                MessagesDropped++;
                return;
            }

            BytesDelivered += bytes;
            deliver();
        });
        return true;
    }

    private LinkState Link(int from, int to)
    {
        if ((uint)from >= (uint)NodeCount || (uint)to >= (uint)NodeCount || from == to)
        {
            throw new ArgumentOutOfRangeException(nameof(to), $"no link {from} → {to} among {NodeCount} nodes");
        }

        if (!_links.TryGetValue((from, to), out LinkState? link))
        {
            link = new LinkState();
            _links.Add((from, to), link);
        }

        return link;
    }

    private sealed class LinkState
    {
        public LinkProfile? Profile { get; set; }

        public TimeSpan BusyUntil { get; set; }

        public TimeSpan LastArrival { get; set; }
    }
}
