namespace FedMesh.Protocol;

/// <summary>
/// Reason codes carried by <see cref="ProtocolException"/>, by Bye and by Error frames (SPEC.md §Errors).
/// The numeric values are part of the wire contract: never renumber, only append.
/// </summary>
public enum ProtocolErrorCode : ushort
{
    None = 0,
    /// <summary>Frame header malformed (bad reserved bits, truncated header).</summary>
    MalformedFrame = 1,
    /// <summary>Frame version byte is not one this implementation speaks.</summary>
    UnsupportedVersion = 2,
    /// <summary>Frame type byte is unknown, or not allowed in the current connection state.</summary>
    UnexpectedFrameType = 3,
    /// <summary>Frame length exceeds the cap for its type.</summary>
    FrameTooLarge = 4,
    /// <summary>MessagePack body does not match the message layout (wrong shape, depth, counts, lengths).</summary>
    MalformedMessage = 5,
    /// <summary>Handshake failed: bad signature, wrong key, transcript mismatch.</summary>
    HandshakeFailed = 6,
    /// <summary>Peer's key is not in the closed mesh's allowlist.</summary>
    NotAllowed = 7,
    /// <summary>AEAD authentication failed: tampered, replayed or reordered frame.</summary>
    DecryptFailed = 8,
    /// <summary>Mesh id, base-model hash or adapter-schema hash differ.</summary>
    IncompatiblePeer = 9,
    /// <summary>Delta manifest signature does not verify.</summary>
    BadSignature = 10,
    /// <summary>A chunk's hash does not match the manifest.</summary>
    BadChunkHash = 11,
    /// <summary>Sequence number is not newer than the last accepted from that origin.</summary>
    StaleSequence = 12,
    /// <summary>Handshake or idle deadline passed.</summary>
    Timeout = 13,
    /// <summary>Peer sends faster than its rate limit allows.</summary>
    RateLimited = 14,
    /// <summary>Orderly shutdown.</summary>
    Shutdown = 15,
    /// <summary>Local resource limit (too many connections, transfers in flight).</summary>
    Overloaded = 16,
    /// <summary>Anything else; the message says what.</summary>
    Internal = 17,
    /// <summary>Delta manifest timestamp beyond the allowed clock skew in the future, or older than the receiver's
    /// staleness horizon (SPEC.md §5.5 step 5).</summary>
    BadTimestamp = 18,
}
