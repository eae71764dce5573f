namespace FedMesh.Node.Configuration;

/// <summary>The <c>[node]</c> section: who this node is and where it keeps its state.</summary>
public sealed record NodeSection
{
    public static readonly NodeSection Default = new();

    /// <summary>Human-readable name shown in logs and metrics; "node" because any fixed label is as good as another.</summary>
    public string Name { get; init; } = "node";

    /// <summary>State directory; /var/lib/fedmesh is what systemd's StateDirectory=fedmesh creates.</summary>
    public string StateDir { get; init; } = "/var/lib/fedmesh";

    /// <summary>
    /// Seed of the node's random source. 0 (default) means "seed from the OS entropy source": production nodes must
    /// not share a seed, because DP noise drawn from equal seeds cancels out when deltas are compared.
    /// Tests and netsim set a non-zero seed to make runs reproducible.
    /// </summary>
    public long Seed { get; init; }
}
