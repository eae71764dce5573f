using System.Buffers.Binary;

namespace FedMesh.Protocol.Identity.Internal;

/// <summary>
/// Peer ids already derived, by public key. A node derives the id of the same few hundred keys over and over (every
/// handshake, every peer-exchange entry, every delta's origin), and each derivation is a SHA-256 and a base32
/// encoding: 7–8 % of a simulated node's CPU in netsim's scale runs. The id is a pure function of the key, so a hit
/// returns exactly what <see cref="PeerId.FromPublicKey"/> would compute.
/// </summary>
internal static class PeerIdCache
{
    /// <summary>Keys held at most (≈ 100 bytes each: the key, the 26-character id and the entry, so ≈ 6.5 MiB at the
    /// bound). A peer book holds at most 1,024 peers; netsim's largest runs have 4,096 nodes in one process. When full
    /// the cache is emptied and refills with the keys in use: bounded memory whatever keys untrusted peers send.</summary>
    private const int Capacity = 65_536;

    private static readonly Dictionary<Key, PeerId> Ids = [];
    private static readonly Lock Gate = new();

    public static bool TryGet(ReadOnlySpan<byte> publicKey, out PeerId id)
    {
        Key key = Key.From(publicKey);
        lock (Gate)
        {
            return Ids.TryGetValue(key, out id);
        }
    }

    public static void Add(ReadOnlySpan<byte> publicKey, PeerId id)
    {
        Key key = Key.From(publicKey);
        lock (Gate)
        {
            if (Ids.Count >= Capacity)
            {
                Ids.Clear();
            }

            Ids[key] = id;
        }
    }

    /// <summary>A 32-byte Ed25519 public key as four words: equality on all 32 bytes, hashing on all of them.</summary>
    private readonly record struct Key(ulong A, ulong B, ulong C, ulong D)
    {
        public static Key From(ReadOnlySpan<byte> k) => new(
            BinaryPrimitives.ReadUInt64LittleEndian(k),
            BinaryPrimitives.ReadUInt64LittleEndian(k[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(k[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(k[24..]));
    }
}
