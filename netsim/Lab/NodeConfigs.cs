using System.Globalization;
using FedMesh.Node.Configuration;

namespace FedMesh.NetSim.Lab;

/// <summary>The node configuration a lab writes for each node (through the node's own <see cref="ConfigWriter"/>).</summary>
public static class NodeConfigs
{
    /// <summary>
    /// Overrides of the defaults for node <paramref name="node"/>: listen on its lab address and port, seed with every
    /// other node, keep state under the lab directory, and keep mDNS on (the lab's bridge carries multicast, so
    /// discovery is exercised too).
    /// </summary>
    public static IReadOnlyDictionary<string, object> Overrides(LabState state, LabNode node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["node.name"] = $"{state.Name}-{node.Index.ToString(CultureInfo.InvariantCulture)}",
            ["node.state_dir"] = StateDirectory(state, node),
            ["network.listen_address"] = node.Address,
            ["network.listen_port"] = (long)node.Port,
            ["network.seeds"] = state.Nodes.Where(n => n.Index != node.Index).Select(n => $"{n.Address}:{n.Port.ToString(CultureInfo.InvariantCulture)}").ToList(),
            ["network.mdns"] = true,
        };
    }

    /// <summary>Node state directory inside the lab directory, so <c>down</c> removes it with the lab.</summary>
    public static string StateDirectory(LabState state, LabNode node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        return Path.Combine(state.Directory, $"node{node.Index.ToString(CultureInfo.InvariantCulture)}", "state");
    }

    /// <summary>Writes every node's config file atomically; a rejected value throws <see cref="LabException"/>.</summary>
    public static void WriteAll(LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (LabNode node in state.Nodes)
        {
            try
            {
                ConfigWriter.WriteDefault(node.ConfigPath, Overrides(state, node));
            }
            catch (ConfigException ex)
            {
                throw new LabException($"node {node.Index}'s configuration was rejected: {ex.Message}", ex);
            }
        }
    }
}
