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

    /// <summary>The transport the node listens and dials on (netsim: in-memory pipes on its virtual clock). Null: TCP.</summary>
    public FedMesh.Node.Transport.ITransportFactory? Transport { get; init; }

    /// <summary>Sessions skip the handshake's and the AEAD's cryptography (<see cref="NodeParts.SimulatedCrypto"/>): over
    /// an in-process <see cref="Transport"/> only. False: the real handshake and AEAD (the daemon).</summary>
    public bool SimulatedCrypto { get; init; }

    /// <summary>
    /// An already loaded base the node trains on instead of the one <c>learning.model_size</c>/<c>learning.base</c>
    /// names (netsim shares one base between its nodes, and its tests use a smaller model). The caller keeps ownership.
    /// </summary>
    public FedMesh.Node.Learning.LearningBase? Base { get; init; }

    /// <summary>
    /// Draw DP noise (record-level DP-SGD's Gaussian noise and Poisson batches, node-level noise) from generators
    /// seeded with this value instead of the OS CSPRNG, so a simulated run replays byte for byte. The guarantee is the
    /// same mechanism but the noise is predictable from the seed: for simulations only. Null: CSPRNG (the daemon).
    /// </summary>
    public ulong? DpSeed { get; init; }
}
