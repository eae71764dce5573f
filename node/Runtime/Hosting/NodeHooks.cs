namespace FedMesh.Node.Hosting;

/// <summary>
/// Seams the host exposes to code that assembles a node around the real runtime (the test kit's attack host). The
/// <c>fedmesh</c> program never sets them: it has no attack code path.
/// </summary>
public sealed record NodeHooks
{
    /// <summary>No hooks: what the daemon runs with.</summary>
    public static readonly NodeHooks None = new();

    /// <summary>
    /// Maps the adapter state about to be released to the state actually signed and sent (see
    /// <see cref="Mesh.RoundCoordinator.ReleaseAttack"/>); the node keeps its honest state. Null releases the honest state.
    /// </summary>
    public Func<float[], float[]>? Release { get; init; }

    /// <summary>What the node logs at start when a hook is installed (e.g. the attack's name).</summary>
    public string? Description { get; init; }
}
