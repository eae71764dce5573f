using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Identity;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// Follows one release of one node through a running mesh (<c>netsim bench dissemination</c>): the origin's first
/// release in round <paramref name="fromRound"/> or later, so that the connections of the start (each new session is
/// offered the node's newest state, SPEC.md §9.1) are in place. A node <em>holds</em> it once it has stored (verified)
/// a delta that carries it: the origin's release itself, or — since a round merges
/// the stored neighbours' states into the node's own before it releases (neighbours mode) — any release a node made
/// after it held it. In flood mode the origin's delta is relayed to every node within its round; in neighbours mode
/// nobody relays another origin's delta, so it travels as a contribution, one merge per hop. Called on the mesh's
/// single thread only.
/// </summary>
internal sealed class DisseminationTracker(int origin, int fromRound, IReadOnlyList<PeerId> peers, VirtualClock clock)
{
    private readonly Dictionary<PeerId, int> _index = peers.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
    private readonly TimeSpan?[] _heldAt = new TimeSpan?[peers.Count];
    private readonly int[] _hops = new int[peers.Count];

    /// <summary>Content ids of the releases that carry the origin's first release.</summary>
    private readonly HashSet<string> _carriers = new(StringComparer.Ordinal);

    /// <summary>When the origin released the tracked delta (virtual time since the mesh started); null before.</summary>
    public TimeSpan? PublishedAt { get; private set; }

    /// <summary>The origin's round whose release is followed; null before it.</summary>
    public long? ReleaseRound { get; private set; }

    /// <summary>Nodes holding it now, the origin included.</summary>
    public int Holding { get; private set; }

    /// <summary>When each node first held it (null: never), relative to the mesh's start.</summary>
    public IReadOnlyList<TimeSpan?> HeldAt => _heldAt;

    /// <summary>Per node: merges (neighbours) or relays (flood) between the origin and the node; 0 for the origin.</summary>
    public IReadOnlyList<int> Hops => _hops;

    private TimeSpan Now => clock.Elapsed;

    /// <summary>A node's round finished: the origin's first release from <c>fromRound</c> on is the tracked delta; a
    /// holder's release carries it.</summary>
    public void RoundCompleted(int node, RoundReport report)
    {
        if (report.Released is not { } released)
        {
            return;
        }

        if (PublishedAt is null)
        {
            if (node != origin || report.Round < fromRound)
            {
                return;
            }

            PublishedAt = Now;
            ReleaseRound = report.Round;
            Hold(node, hops: 0);
        }

        if (_heldAt[node] is not null)
        {
            _carriers.Add(Convert.ToHexStringLower(released.ContentId));
        }
    }

    /// <summary>A node stored a verified delta from <paramref name="from"/> (the relaying or originating peer).</summary>
    public void DeltaArrived(int node, StoredDelta delta, PeerId from)
    {
        if (_heldAt[node] is null && _carriers.Contains(delta.ContentIdHex))
        {
            int sender = _index.TryGetValue(from, out int s) ? s : -1;
            Hold(node, sender >= 0 && _heldAt[sender] is not null ? _hops[sender] + 1 : 1);
        }
    }

    private void Hold(int node, int hops)
    {
        _heldAt[node] = Now;
        _hops[node] = hops;
        Holding++;
    }
}
