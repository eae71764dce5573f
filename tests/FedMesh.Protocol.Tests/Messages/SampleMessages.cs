using FedMesh.Protocol.Messages;

namespace FedMesh.Protocol.Tests.Messages;

/// <summary>One populated instance of every message type (used by round-trip, rejection and fuzz tests).</summary>
internal static class SampleMessages
{
    public static byte[] Bytes(byte value, int length = 32) => Enumerable.Repeat(value, length).ToArray();

    public static HelloMessage Hello() => new()
    {
        PublicKey = Bytes(0xa1),
        Capabilities = ["relay", "fp16"],
        MeshId = Bytes(0x11),
        BaseModelHash = Bytes(0x22),
        AdapterSchemaHash = Bytes(0x33),
        ListenAddresses = ["192.0.2.1:7400", "[2001:db8::1]:7400"],
        SoftwareVersion = "fedmesh/0.1.0",
    };

    public static IReadOnlyList<WireMessage> All() =>
    [
        Hello(),
        new PeerListMessage([new PeerEntry(Bytes(0xb1), ["198.51.100.7:7400"]), new PeerEntry(Bytes(0xb2), [])]),
        new HaveMessage(Bytes(0xc1), Bytes(0xc2), 42, 7168, 14),
        new WantMessage(Bytes(0xc1), true, [new ChunkRange(0, 3), new ChunkRange(5, 1), new ChunkRange(9, 5)]),
        new DeltaManifestMessage(Bytes(0x5a, 300), Bytes(0x5b, 64)),
        new DeltaChunkMessage(Bytes(0xc1), 13, Bytes(0x77, 100)),
        new PingMessage(0x0123456789abcdef),
        new PongMessage(ulong.MaxValue),
        new ByeMessage(ProtocolErrorCode.Shutdown, "node stopping"),
        new ErrorMessage(ProtocolErrorCode.StaleSequence, "sequence 3 is not newer than 5 — résumé"),
    ];
}
