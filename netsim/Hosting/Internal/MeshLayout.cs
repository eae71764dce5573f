using FedMesh.NetSim.Network;
using FedMesh.NetSim.Scenarios;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>Who is connected to whom and who attacks: pure functions of the scenario and its seed.</summary>
internal static class MeshLayout
{
    /// <summary>Rounds back a replaying attacker resends from. 3: older than the staleness discount's sweet spot
    /// but within its cap, so the replayed state is still merged (Replay's harm is dragging consensus back).</summary>
    public const int ReplayDepth = 3;

    /// <summary>Undirected neighbour lists of the scenario's topology.</summary>
    public static int[][] BuildTopology(Scenario s)
    {
        Random random = SimSeeds.Random(s.Seed, "topology");
        TopologySpec t = s.Topology;
        return t.Kind switch
        {
            TopologyKind.Full => Topology.Full(s.Nodes),
            TopologyKind.RandomRegular => Topology.RandomRegular(s.Nodes, t.Degree, random),
            TopologyKind.SmallWorld => Topology.SmallWorld(s.Nodes, t.Degree, t.Rewire, random),
            _ => Topology.Clusters(s.Nodes, t.Clusters, t.Bridges, random),
        };
    }

    /// <summary>⌊fraction × N⌋ attackers drawn by a seeded shuffle.</summary>
    public static bool[] PickByzantine(Scenario s)
    {
        var result = new bool[s.Nodes];
        int count = (int)(s.Byzantine.Fraction * s.Nodes);
        int[] order = Enumerable.Range(0, s.Nodes).ToArray();
        SimSeeds.Random(s.Seed, "byzantine").Shuffle(order);
        foreach (int i in order.Take(count))
        {
            result[i] = true;
        }

        return result;
    }
}
