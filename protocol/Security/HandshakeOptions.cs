using FedMesh.Protocol.Identity;

namespace FedMesh.Protocol.Security;

/// <summary>Settings of the authenticated key exchange (SPEC.md §3), the same on both sides of a mesh.</summary>
public sealed record HandshakeOptions
{
    public static readonly HandshakeOptions Default = new();

    /// <summary>Longest mesh id accepted: it is hashed into every transcript, and 255 bytes is plenty for a name.</summary>
    public const int MaxMeshIdBytes = 255;

    /// <summary>
    /// The mesh this node belongs to, bound into the transcript hash (§3.2): nodes of different meshes fail the
    /// handshake even if they trust each other's keys. Default "fedmesh" is the public default mesh.
    /// </summary>
    public string MeshId { get; init; } = "fedmesh";

    /// <summary>
    /// Closed-mesh mode: when not null, only these peers complete a handshake, checked on both sides right after
    /// the peer's signature verifies and before any application frame (§3.3). Null (default) is an open mesh.
    /// </summary>
    public IReadOnlySet<PeerId>? Allowlist { get; init; }

    /// <summary>
    /// Suites offered (initiator) or accepted (responder); ChaCha20-Poly1305 is always included. Default: all this
    /// CPU runs well, so AEGIS-256 (else AES-256-GCM) is negotiated only when both sides have AES hardware.
    /// </summary>
    public CipherSuite Suites { get; init; } = CipherSuites.Supported;

    /// <summary>
    /// Whole-handshake deadline. 10 s covers three messages over a slow, lossy WAN link (several RTTs of
    /// retransmission) while bounding how long a silent peer holds a connection slot.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    internal CipherSuite EffectiveSuites => (Suites | CipherSuite.ChaCha20Poly1305) & CipherSuites.Supported;

    internal void Validate()
    {
        if (string.IsNullOrEmpty(MeshId) || System.Text.Encoding.UTF8.GetByteCount(MeshId) > MaxMeshIdBytes)
        {
            throw new ArgumentException($"mesh id must be 1..{MaxMeshIdBytes} UTF-8 bytes", nameof(MeshId));
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("handshake timeout must be positive", nameof(Timeout));
        }
    }
}
