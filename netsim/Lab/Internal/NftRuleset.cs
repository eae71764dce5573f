using System.Globalization;
using System.Text;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// The nftables rulesets of a lab, rendered from its state. Each table is replaced in one <c>nft -f</c>
/// transaction ("table X; delete table X; table X {…}" is atomic and works whether or not the table exists), so
/// applying the same state twice gives the same rules, and <c>heal</c> is just the empty state.
/// </summary>
internal static class NftRuleset
{
    /// <summary>The table inside each node namespace (loss). The root namespace's firewall is never touched.</summary>
    public const string NodeTable = "inet fedmesh_lab";

    /// <summary>The table on the hub's bridge (partitions).</summary>
    public const string HubTable = "bridge fedmesh_lab";

    /// <summary>
    /// The hub's ruleset: a partition drops every frame the bridge would forward from a node's port to a port of
    /// another group. Cutting at layer 2 blocks everything (IPv4, IPv6 link-local, ARP, mDNS multicast), as a
    /// real network split would, not just the lab's IPv4 addresses.
    /// </summary>
    public static string RenderHub(LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var text = Reset(HubTable);
        var rules = new List<string>();
        foreach (LabNode node in state.Nodes)
        {
            string[] others = state.Nodes
                .Where(n => n.Faults.PartitionGroup is { } g && node.Faults.PartitionGroup is { } mine && g != mine)
                .Select(n => $"\"{LabNames.HubInterface(n.Index)}\"")
                .ToArray();
            if (others.Length > 0)
            {
                rules.Add($"iifname \"{LabNames.HubInterface(node.Index)}\" oifname {{ {string.Join(", ", others)} }} drop");
            }
        }

        if (rules.Count > 0)
        {
            text.Append("table ").Append(HubTable).Append(" {\n");
            Chain(text, "forward", rules);
            text.Append("}\n");
        }

        return text.ToString();
    }

    /// <summary>Node <paramref name="index"/>'s ruleset: random loss on its lab interface, each direction.</summary>
    public static string RenderNode(LabState state, int index)
    {
        ArgumentNullException.ThrowIfNull(state);
        int loss = state.Node(index).Faults.LossPercent;
        var text = Reset(NodeTable);
        if (loss == 0)
        {
            return text.ToString();
        }

        // numgen random mod 100 draws 0-99 uniformly per packet, so "< P" drops P percent; nft rejects "< 100"
        // (out of the value's range), so 100% is a plain drop. Only the lab link is matched: loopback inside the
        // namespace stays lossless.
        string match = loss < 100 ? $" numgen random mod 100 < {loss.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
        text.Append("table ").Append(NodeTable).Append(" {\n");
        Chain(text, "input", [$"iifname \"{LabNames.NodeInterface}\"{match} drop"]);
        Chain(text, "output", [$"oifname \"{LabNames.NodeInterface}\"{match} drop"]);
        text.Append("}\n");
        return text.ToString();
    }

    private static StringBuilder Reset(string table) =>
        new StringBuilder().Append("table ").Append(table).Append('\n').Append("delete table ").Append(table).Append('\n');

    private static void Chain(StringBuilder text, string hook, IEnumerable<string> rules)
    {
        text.Append("  chain ").Append(hook).Append(" {\n")
            .Append("    type filter hook ").Append(hook).Append(" priority filter; policy accept;\n");
        foreach (string rule in rules)
        {
            text.Append("    ").Append(rule).Append('\n');
        }

        text.Append("  }\n");
    }
}
