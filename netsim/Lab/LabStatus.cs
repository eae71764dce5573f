namespace FedMesh.NetSim.Lab;

/// <summary>A node as <c>status</c> sees it: its recorded state and the processes running in its namespace now.</summary>
public sealed record LabNodeStatus(LabNode Node, IReadOnlyList<int> RunningPids);

/// <summary>Answer of <c>netsim lab status</c>.</summary>
public sealed record LabStatus(LabState State, IReadOnlyList<LabNodeStatus> Nodes);
