using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Membership;

/// <summary>Deterministic peer identities for tests: key i is 32 bytes of value i.</summary>
internal static class TestIds
{
    public static byte[] Key(int i) => Enumerable.Repeat((byte)i, PeerId.PublicKeyLength).ToArray();

    public static PeerId Id(int i) => PeerId.FromPublicKey(Key(i));
}
