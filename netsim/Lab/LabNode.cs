namespace FedMesh.NetSim.Lab;

/// <summary>One node of a lab: where it lives, how it was started, and the faults applied to it.</summary>
public sealed record LabNode
{
    public required int Index { get; init; }

    public required string Namespace { get; init; }

    /// <summary>True once the namespace exists (so <c>down</c> and a rollback delete only what the lab made).</summary>
    public bool NamespaceCreated { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public required string ConfigPath { get; init; }

    public required string LogPath { get; init; }

    /// <summary>The resolved command line (placeholders filled in), kept so <c>restart</c> runs exactly the same.</summary>
    public IReadOnlyList<string> Argv { get; init; } = [];

    /// <summary>Pid of the last start, for display; liveness is read from the namespace (<c>ip netns pids</c>).</summary>
    public int? Pid { get; init; }

    public LabNodeFaults Faults { get; init; } = LabNodeFaults.None;
}
