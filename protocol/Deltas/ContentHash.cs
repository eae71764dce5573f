using FedMesh.Protocol.Messages.Internal;

namespace FedMesh.Protocol.Deltas;

/// <summary>BLAKE3-256 (the `Blake3` package), used for chunk hashes and content ids (SPEC.md §5.3): about
/// 1.8× SHA-256's throughput on this hardware, and the payload is hashed once per hop.</summary>
public static class ContentHash
{
    public static byte[] Compute(ReadOnlySpan<byte> data)
    {
        byte[] hash = new byte[DeltaLimits.HashLength];
        Blake3.Hasher.Hash(data, hash);
        return hash;
    }

    public static void Compute(ReadOnlySpan<byte> data, Span<byte> destination) => Blake3.Hasher.Hash(data, destination[..DeltaLimits.HashLength]);

    /// <summary>
    /// Lower-case hex of a content id (the key gossip tracks a delta by), as <see cref="Convert.ToHexStringLower(ReadOnlySpan{byte})"/>;
    /// an id this thread turned into hex lately gives the same string again (<see cref="RecentStrings"/>). Every Have,
    /// Want, manifest and chunk names its delta's id, and a new 64-character string each time was 2 % of a 1,000-node
    /// netsim run's allocations.
    /// </summary>
    public static string Hex(ReadOnlySpan<byte> contentId) =>
        (t_recentHex ??= new RecentStrings(RecentHexSlots)).Get(contentId, static id => Convert.ToHexStringLower(id));

    /// <summary>Slots of each thread's memo of content-id hex: 4,096 hold the ids of a few rounds of a 1,000-node mesh
    /// (one release per node and round), in about 1 MiB a thread (a 32-byte copy and a 64-character string each).</summary>
    private const int RecentHexSlots = 4096;

    [ThreadStatic]
    private static RecentStrings? t_recentHex;

    /// <summary>Hashes every <paramref name="chunkSize"/>-byte chunk of <paramref name="payload"/>, concatenated.</summary>
    public static byte[] ChunkHashes(ReadOnlySpan<byte> payload, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        int count = DeltaManifest.ChunkCountFor(payload.Length, chunkSize);
        byte[] hashes = new byte[count * DeltaLimits.HashLength];
        for (int i = 0; i < count; i++)
        {
            int offset = i * chunkSize;
            Compute(payload.Slice(offset, Math.Min(chunkSize, payload.Length - offset)), hashes.AsSpan(i * DeltaLimits.HashLength));
        }

        return hashes;
    }
}
