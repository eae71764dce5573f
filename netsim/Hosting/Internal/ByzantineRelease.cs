using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Attacks;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>What a Byzantine node releases instead of its honest state: one home for the crafting that the simulator
/// and the real-runtime host share.</summary>
internal static class ByzantineRelease
{
    /// <summary>ALIE and the inner-product attack are omniscient: they craft from every honest node's latest release.</summary>
    public static bool NeedsAllHonest(AttackKind kind) => kind is AttackKind.Alie or AttackKind.InnerProduct;

    /// <summary>
    /// The crafted state of <paramref name="node"/> in <paramref name="round"/>: from <paramref name="honest"/> (its
    /// own state, or every honest release for omniscient attacks) and <paramref name="previous"/> (its state
    /// <see cref="MeshLayout.ReplayDepth"/> rounds back, for replay).
    /// </summary>
    public static float[] Craft(Scenario scenario, int node, int[] neighbours, Func<int, bool> isByzantine,
        IReadOnlyList<ReadOnlyMemory<float>> honest, float[] previous, int round)
    {
        int inputs = Math.Min(scenario.Gossip.MaxMergeInputs, Math.Max(2, neighbours.Length + 1));
        // ALIE's z depends on how many of a victim's n inputs collude (Baruch et al. 2019, §3): the attacker and its
        // Byzantine neighbours. Craft is asked for one delta, and its count would otherwise stand in for f = 1,
        // which gives z = Φ⁻¹(1/2) = 0 at n = 20 (the plain honest mean), not the paper's attack.
        int colluding = Math.Min(inputs - 1, 1 + neighbours.Count(isByzantine));
        var options = AttackOptions.Default with { AlieZ = AttackLibrary.AlieZ(inputs, colluding) };
        return AttackLibrary.Craft(scenario.Byzantine.Attack, honest, [previous], 1, inputs, options, SimSeeds.Int(scenario.Seed, "attack", node, round))[0];
    }
}
