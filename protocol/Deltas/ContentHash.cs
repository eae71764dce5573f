using FedMesh.Protocol.Deltas.Internal;

namespace FedMesh.Protocol.Deltas;

/// <summary>BLAKE3-256, used for chunk hashes and content ids (SPEC.md §5.3): about 1.8× SHA-256's throughput on this
/// hardware, and the payload is hashed once per hop. On CPUs with AVX-512F it runs <see cref="Blake3Wide"/> (always
/// optimised code, whatever the runtime's tiering is doing); elsewhere the <c>Blake3</c> package.</summary>
public static class ContentHash
{
    /// <summary>Which implementation <see cref="Compute(ReadOnlySpan{byte}, Span{byte})"/> runs here (bench reports print it).</summary>
    public static string Implementation => Blake3Wide.IsSupported ? "fedmesh-avx512" : "Blake3-package";

    public static byte[] Compute(ReadOnlySpan<byte> data)
    {
        byte[] hash = new byte[DeltaLimits.HashLength];
        Compute(data, hash);
        return hash;
    }

    public static void Compute(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (Blake3Wide.IsSupported)
        {
            Blake3Wide.Hash(data, destination[..DeltaLimits.HashLength]);
        }
        else
        {
            Blake3.Hasher.Hash(data, destination[..DeltaLimits.HashLength]);
        }
    }

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
