namespace FedMesh.Protocol.Messages;

/// <summary>
/// Element caps every message decoder enforces before it allocates (SPEC.md §7), independent of the frame
/// length cap: a frame that fits its byte budget may still claim absurd counts, and a decoder must never let
/// a count read from the wire size an allocation or a loop beyond these.
/// </summary>
public static class MessageLimits
{
    /// <summary>Nesting depth of any value, including unknown trailing elements (a top-level array is depth 1).
    /// v1 layouts need 3; 8 leaves room for extensions while keeping the skipper's work trivially bounded.</summary>
    public const int MaxDepth = 8;

    /// <summary>Unknown trailing elements tolerated after a message's known fields (forward compatibility, §4.1).</summary>
    public const int MaxTrailingElements = 16;

    /// <summary>Listen addresses per peer: a host has a handful of interfaces × families; 16 is generous.</summary>
    public const int MaxAddresses = 16;

    /// <summary>UTF-8 bytes of one address ("host:port", "[v6%zone]:port", DNS names ≤ 253 + port).</summary>
    public const int MaxAddressBytes = 262;

    /// <summary>Peers per PeerList: enough to bootstrap a partial view (gossip fan-out is ~log n), small enough
    /// that a malicious peer cannot flood the peer table in one message.</summary>
    public const int MaxPeersPerList = 64;

    /// <summary>Capability names announced in Hello.</summary>
    public const int MaxCapabilities = 32;

    /// <summary>UTF-8 bytes of one capability name.</summary>
    public const int MaxCapabilityBytes = 32;

    /// <summary>UTF-8 bytes of the node software version ("fedmesh/1.2.3+abcdef").</summary>
    public const int MaxSoftwareVersionBytes = 64;

    /// <summary>UTF-8 bytes of a Bye/Error text: a one-line human-readable reason.</summary>
    public const int MaxReasonTextBytes = 512;

    /// <summary>Chunk ranges per Want: a receiver missing scattered chunks coalesces them; 256 ranges cover any
    /// realistic loss pattern of a ≤ 4096-chunk delta, and the sender asks again for the rest.</summary>
    public const int MaxWantRanges = 256;

    /// <summary>Bytes of a mesh id, hashes, content ids and Ed25519 public keys on the wire.</summary>
    public const int HashLength = 32;
}
