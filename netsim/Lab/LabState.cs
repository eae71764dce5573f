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
