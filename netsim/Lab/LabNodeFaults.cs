namespace FedMesh.NetSim.Lab;

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
