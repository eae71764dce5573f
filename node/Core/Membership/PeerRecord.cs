using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

/// <summary>What a node remembers about one peer (an entry of the peer book and of peers.json).</summary>
public sealed record PeerRecord
{
    public required PeerId Id { get; init; }

    /// <summary>The Ed25519 public key once learned (handshake or a PEX entry that carried it); null until then.</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>Dialable addresses, most recently confirmed first.</summary>
    public IReadOnlyList<PeerAddress> Addresses { get; init; } = [];

    public PeerSources Sources { get; init; }

    /// <summary>Mesh the peer announced (mDNS TXT <c>mesh=</c>), if known.</summary>
    public string? MeshId { get; init; }

    /// <summary>When this node first heard of the peer.</summary>
    public DateTimeOffset AddedAt { get; init; }

    /// <summary>Last first-hand sign of life (mDNS announcement or successful connection); null if never.</summary>
    public DateTimeOffset? LastSeen { get; init; }

    /// <summary>Consecutive failed connection attempts since the last success.</summary>
    public int Failures { get; init; }
}
