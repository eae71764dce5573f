using System.Globalization;
using System.Text;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// The nftables ruleset of one node namespace, rendered from the lab state. The whole table is replaced in one
/// <c>nft -f</c> transaction ("table X; delete table X; table X {…}" is atomic and works whether or not the
/// table exists), so applying the same state twice gives the same rules, and <c>heal</c> is just an empty state.
/// </summary>
internal static class NftRuleset
{
    /// <summary>The table the lab owns inside each node namespace; the root namespace's firewall is never touched.</summary>
    public const string Table = "inet fedmesh_lab";

    /// <summary>The <c>nft -f</c> script for node <paramref name="index"/> of <paramref name="state"/>.</summary>
    public static string Render(LabState state, int index)
    {
        ArgumentNullException.ThrowIfNull(state);
        LabNode node = state.Node(index);
        var text = new StringBuilder();
        text.Append("table ").Append(Table).Append('\n')
            .Append("delete table ").Append(Table).Append('\n');

        IReadOnlyList<string> blocked = Blocked(state, node);
        int loss = node.Faults.LossPercent;
        if (blocked.Count == 0 && loss == 0)
        {
            return text.ToString();
        }

        text.Append("table ").Append(Table).Append(" {\n");
        Chain(text, "input", "iifname", "saddr", blocked, loss);
        Chain(text, "output", "oifname", "daddr", blocked, loss);
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>Addresses of nodes in another partition group than <paramref name="node"/>.</summary>
    internal static IReadOnlyList<string> Blocked(LabState state, LabNode node) =>
        node.Faults.PartitionGroup is not { } group
            ? []
            : state.Nodes.Where(n => n.Faults.PartitionGroup is { } other && other != group).Select(n => n.Address).ToList();

    private static void Chain(StringBuilder text, string hook, string interfaceMatch, string addressMatch, IReadOnlyList<string> blocked, int loss)
    {
        text.Append("  chain ").Append(hook).Append(" {\n")
            .Append("    type filter hook ").Append(hook).Append(" priority filter; policy accept;\n");
        if (loss > 0)
        {
            // numgen random mod 100 draws 0-99 uniformly per packet, so "< P" drops P percent; nft rejects
            // "< 100" (out of the value's range), so 100% is a plain drop. Only the lab link is matched, loopback
            // inside the namespace stays lossless.
            text.Append("    ").Append(interfaceMatch).Append(" \"").Append(LabNames.NodeInterface).Append('"');
            if (loss < 100)
            {
                text.Append(" numgen random mod 100 < ").Append(loss.ToString(CultureInfo.InvariantCulture));
            }

            text.Append(" drop\n");
        }

        if (blocked.Count > 0)
        {
            text.Append("    ip ").Append(addressMatch).Append(" { ").Append(string.Join(", ", blocked)).Append(" } drop\n");
        }

        text.Append("  }\n");
    }
}
