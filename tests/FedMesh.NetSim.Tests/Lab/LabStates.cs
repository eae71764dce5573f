using FedMesh.NetSim.Lab;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary>Lab states built in memory, for tests that need no namespaces.</summary>
internal static class LabStates
{
    public static LabState Of(string name, int nodes, string directory = "/run/fedmesh-lab/x") => new()
    {
        Name = name,
        Directory = directory,
        HubNamespace = LabNames.HubNamespace(name),
        Command = ["/bin/true", "{config}"],
        Nodes = Enumerable.Range(0, nodes).Select(i => new LabNode
        {
            Index = i,
            Namespace = LabNames.NodeNamespace(name, i),
            Address = LabNames.NodeAddress(name, i).ToString(),
            Port = 7461 + i,
            ConfigPath = Path.Combine(directory, $"node{i}", "fedmesh.toml"),
            LogPath = Path.Combine(directory, $"node{i}", "node.log"),
        }).ToList(),
    };

    public static LabState WithFaults(this LabState state, int index, LabNodeFaults faults) =>
        state.With(state.Nodes[index] with { Faults = faults });
}
