namespace FedMesh.Protocol.Wire;

/// <summary>
/// Per-type payload caps (SPEC.md §7), checked from the header before the payload is buffered. A cap counts
/// the whole payload: for encrypted types that is body + the suite's tag (at most <see cref="AeadTagSize"/>). Every cap is a power-of-two
/// budget comfortably above the largest well-formed body, so a peer cannot make us buffer more than
/// <see cref="MaxAnyPayload"/> per connection.
/// </summary>
public static class FrameLimits
{
    /// <summary>
    /// The most bytes an AEAD tag adds to an encrypted payload: 32 (AEGIS-256; the other suites add 16, SPEC.md
    /// §3.4). Body limits subtract this, so a body that fits under one suite fits under every suite.
    /// </summary>
    public const int AeadTagSize = Security.CipherSuites.MaxTagSize;

    /// <summary>Handshake messages are at most 145 bytes (§3); 1 KiB leaves room for later versions.</summary>
    public const int Handshake = 1024;

    /// <summary>Hello carries ids, hashes and a few capabilities: 16 KiB is generous.</summary>
    public const int Hello = 16 * 1024;

    /// <summary>PeerList: the message layer's cap (64 peers × 16 addresses of ≤ 262 bytes, 273,796 bytes) plus the
    /// tag, rounded up to 288 KiB.</summary>
    public const int PeerList = 288 * 1024;

    /// <summary>Have/Want: a few dozen (origin, sequence) pairs; 4 KiB bounds the work per message.</summary>
    public const int HaveWant = 4 * 1024;

    /// <summary>DeltaManifest: the message layer's cap (a 512 KiB manifest — 4,096 chunk hashes of 32 B plus up to
    /// 1,024 tensor entries — and a 64-byte signature, 524,360 bytes) plus the tag, rounded up to 528 KiB.</summary>
    public const int DeltaManifest = 528 * 1024;

    /// <summary>DeltaChunk: 1 MiB of chunk data + 256 bytes for MessagePack framing, ids and the AEAD tag (the
    /// longest v1 body is 1 MiB + 43 bytes, so 181 bytes are left with a 32-byte tag).</summary>
    public const int DeltaChunk = (1024 * 1024) + 256;

    /// <summary>Ping/Pong: a nonce and a timestamp.</summary>
    public const int PingPong = 64;

    /// <summary>Bye/Error: a reason code and a human-readable message.</summary>
    public const int ByeError = 1024;

    /// <summary>The largest cap of any type: the most one frame can make a receiver buffer.</summary>
    public const int MaxAnyPayload = DeltaChunk;

    /// <summary>Largest payload (body + tag for encrypted types) a frame of this type may carry.</summary>
    public static int MaxPayload(FrameType type) => type switch
    {
        FrameType.HandshakeInit or FrameType.HandshakeResponse or FrameType.HandshakeFinish => Handshake,
        FrameType.Hello => Hello,
        FrameType.PeerList => PeerList,
        FrameType.Have or FrameType.Want => HaveWant,
        FrameType.DeltaManifest => DeltaManifest,
        FrameType.DeltaChunk => DeltaChunk,
        FrameType.Ping or FrameType.Pong => PingPong,
        FrameType.Bye or FrameType.Error => ByeError,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown frame type"),
    };

    /// <summary>Largest message body of this type an application may send (payload cap minus the AEAD tag).</summary>
    public static int MaxBody(FrameType type) => IsHandshake(type) ? MaxPayload(type) : MaxPayload(type) - AeadTagSize;

    public static bool IsKnown(FrameType type) => type is >= FrameType.HandshakeInit and <= FrameType.HandshakeFinish
        or >= FrameType.Hello and <= FrameType.Error;

    /// <summary>Handshake frames (0x01–0x0F) travel in plaintext; everything else inside the channel.</summary>
    public static bool IsHandshake(FrameType type) => (byte)type is >= 0x01 and <= 0x0F;
}
