namespace FedMesh.Protocol.Wire;

/// <summary>
/// Frame type tags (SPEC.md §Frames). Values are wire contract: never renumber, only append.
/// 0x01–0x0F are the plaintext handshake; everything from 0x10 travels inside the secure channel.
/// </summary>
public enum FrameType : byte
{
    HandshakeInit = 0x01,
    HandshakeResponse = 0x02,
    HandshakeFinish = 0x03,

    Hello = 0x10,
    PeerList = 0x11,
    Have = 0x12,
    Want = 0x13,
    DeltaManifest = 0x14,
    DeltaChunk = 0x15,
    Ping = 0x16,
    Pong = 0x17,
    Bye = 0x18,
    Error = 0x19,
}
