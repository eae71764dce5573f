using FedMesh.Protocol.Wire;

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

    /// <summary>
    /// Upper bound on the v1 body of each message type with every field at its cap (exact for all but Want) (SPEC.md §7): the least the
    /// transport's per-type frame cap must admit. Unknown trailing elements (§4.1) from newer peers need
    /// headroom beyond this, which is the transport's call. Sums of MessagePack header + content sizes.
    /// </summary>
    public static int MaxV1BodyLength(FrameType type) => type switch
    {
        // array 1 + u16 3 + key 34 + caps (array16 3 + 32 × str8 34) + 3 hashes × 34 + addresses + version (str8 2 + 64)
        FrameType.Hello => 1 + 3 + 34 + 3 + (MaxCapabilities * (2 + MaxCapabilityBytes)) + (3 * 34) + MaxAddressListBytes + 2 + MaxSoftwareVersionBytes,
        // array 1 + array16 3 + 64 × (array 1 + key 34 + addresses)
        FrameType.PeerList => 1 + 3 + (MaxPeersPerList * (1 + 34 + MaxAddressListBytes)),
        // array 1 + 2 × bin32 34 + sequence u64 9 + total_size ≤ 2^26 as u32 5 + chunk_count ≤ 4096 as u16 3
        FrameType.Have => 1 + (2 * 34) + 9 + 5 + 3,
        // array 1 + id 34 + bool 1 + array16 3 + 256 × (array 1 + 2 × u16 3): start and count are ≤ 4096
        // (an upper bound: 256 disjoint ranges within 4096 chunks cannot all have 3-byte counts)
        FrameType.Want => 1 + 34 + 1 + 3 + (MaxWantRanges * 7),
        // array 1 + bin32 header 5 + manifest + bin8 header 2 + signature 64
        FrameType.DeltaManifest => 1 + 5 + Deltas.DeltaLimits.MaxManifestBytes + 2 + DeltaManifestMessage.SignatureLength,
        // array 1 + id 34 + index < 4096 as u16 3 + bin32 header 5 + data
        FrameType.DeltaChunk => 1 + 34 + 3 + 5 + Deltas.DeltaLimits.MaxChunkSize,
        // array 1 + u64 9
        FrameType.Ping or FrameType.Pong => 1 + 9,
        // array 1 + u16 3 + str16 header 3 + text
        FrameType.Bye or FrameType.Error => 1 + 3 + 3 + MaxReasonTextBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "frame type carries no message"),
    };

    /// <summary>array16 header 3 + 16 × (str16 header 3 + 262).</summary>
    private const int MaxAddressListBytes = 3 + (MaxAddresses * (3 + MaxAddressBytes));
}
