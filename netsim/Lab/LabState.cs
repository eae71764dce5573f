namespace FedMesh.NetSim.Lab;

/// <summary>
/// Everything <c>down</c>, <c>fault</c>, <c>heal</c> and <c>status</c> need to find a lab again: written atomically
/// to <c>STATE_ROOT/NAME/state.json</c> after every step of <c>up</c>, so a half-built lab can be rolled back.
/// </summary>
public sealed record LabState
{
    public required string Name { get; init; }

    /// <summary>The lab's directory: state file, per-node configs, logs and node state directories.</summary>
    public required string Directory { get; init; }

    public required string HubNamespace { get; init; }

    /// <summary>True once the hub namespace exists (so <c>down</c> deletes it).</summary>
    public bool HubCreated { get; init; }

    /// <summary>Command template, one argument per entry, with {config}, {index}, {address}, {port}, {lab} placeholders.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public IReadOnlyList<LabNode> Nodes { get; init; } = [];

    /// <summary>Node <paramref name="index"/>, or a <see cref="LabException"/> naming the valid range.</summary>
    public LabNode Node(int index) =>
        index >= 0 && index < Nodes.Count
            ? Nodes[index]
            : throw new LabException($"lab '{Name}' has nodes 0-{Nodes.Count - 1}; there is no node {index}");

    /// <summary>A copy with node <paramref name="node"/>.Index replaced.</summary>
    public LabState With(LabNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var nodes = Nodes.ToArray();
        nodes[node.Index] = node;
        return this with { Nodes = nodes };
    }
}

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

/// <summary>Faults applied to one node; <see cref="None"/> after <c>heal</c>.</summary>
public sealed record LabNodeFaults
{
    public static readonly LabNodeFaults None = new();

    /// <summary>Partition group of the node, or null when the lab is not partitioned.</summary>
    public int? PartitionGroup { get; init; }

    /// <summary>Percentage of packets dropped in each direction on the node's interface (0 = none).</summary>
    public int LossPercent { get; init; }

    /// <summary>Rate limit of the node's link in bit/s, each direction (0 = unlimited).</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>Added one-way delay in ms (0 = none; only ever set when the kernel has sch_netem).</summary>
    public int DelayMs { get; init; }

    /// <summary>The node's process was stopped by <c>fault kill</c>; <c>heal</c> starts it again.</summary>
    public bool Killed { get; init; }
}
