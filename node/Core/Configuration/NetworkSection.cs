namespace FedMesh.Node.Configuration;

/// <summary>The <c>[network]</c> section: listening, mesh membership and peer limits.</summary>
public sealed record NetworkSection
{
    public static readonly NetworkSection Default = new();

    /// <summary>"::" listens on all IPv6 and (dual-stack) IPv4 addresses, which is what a mesh node normally wants.</summary>
    public string ListenAddress { get; init; } = "::";

    /// <summary>
    /// 7461: a fixed port so that seeds can be written as host:port without asking; it is not used by a common
    /// service (it sits in the IANA registered range, unassigned at the time of writing). Change freely.
    /// </summary>
    public int ListenPort { get; init; } = 7461;

    /// <summary>Mesh name; nodes only talk to nodes of the same mesh. "default" so that two fresh nodes find each other.</summary>
    public string MeshId { get; init; } = "default";

    /// <summary>Closed meshes accept only peers in <see cref="Allowlist"/>; open by default so a first try works.</summary>
    public bool Closed { get; init; }

    /// <summary>Peer ids (26-character base32) admitted to a closed mesh; empty by default.</summary>
    public IReadOnlyList<string> Allowlist { get; init; } = [];

    /// <summary>Bootstrap peers as <c>host:port</c> or <c>peerid@host:port</c>; empty by default (mDNS finds LAN peers).</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>
    /// 16 peers: gossip averaging mixes well with a small, randomly refreshed view (Boyd et al., "Randomized
    /// Gossip Algorithms", 2006); more peers cost memory and bandwidth without faster convergence.
    /// </summary>
    public int MaxPeers { get; init; } = 16;

    /// <summary>64 connections: peers plus transient inbound handshakes, bounded so a flood cannot exhaust sockets.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>mDNS discovery on: zero-configuration LAN meshes are the common test setup.</summary>
    public bool Mdns { get; init; } = true;
}
