namespace FedMesh.Node.Gossip;

/// <summary>How far a node's released state travels and whose states a node merges (<c>gossip.mode</c>).</summary>
public enum GossipMode
{
    /// <summary>
    /// Gossip learning on a sparse, time-varying graph (Ormándi et al. 2013; Hegedűs et al. 2019) — decentralised SGD
    /// with mixing weights (Lian et al. 2017): each round a node announces its own release to
    /// <see cref="GossipOptions.Fanout"/> peers of its view, never relays another origin's state, and merges only
    /// what its neighbours sent it since its last round. A node's traffic per round is ≈ 2 × fanout × the state size
    /// whatever the mesh size N.
    /// </summary>
    Neighbours = 0,

    /// <summary>Every verified state is announced on (epidemic relay, SPEC.md §9), so every state reaches every node
    /// and each node merges the newest state of every origin: traffic per node and round ≈ (N − 1) × the state size.</summary>
    Flood = 1,
}

/// <summary>The configuration names of <see cref="GossipMode"/>.</summary>
public static class GossipModes
{
    public const string Neighbours = "neighbours";

    public const string Flood = "flood";

    public static readonly IReadOnlyList<string> Names = [Neighbours, Flood];

    /// <summary>The mode a configuration name denotes; throws naming the accepted values otherwise.</summary>
    public static GossipMode Parse(string name) => name switch
    {
        Neighbours => GossipMode.Neighbours,
        Flood => GossipMode.Flood,
        _ => throw new ArgumentException($"gossip.mode must be one of {string.Join(", ", Names)}, got \"{name}\"", nameof(name)),
    };

    public static string Name(this GossipMode mode) => mode == GossipMode.Flood ? Flood : Neighbours;
}
