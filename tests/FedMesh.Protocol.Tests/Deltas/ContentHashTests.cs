using FedMesh.Protocol.Deltas;

namespace FedMesh.Protocol.Tests.Deltas;

public class ContentHashTests
{
    /// <summary>
    /// Lengths at every boundary of BLAKE3's tree: empty, one block, one chunk (1 KiB) ± 1, the 16-chunk group the
    /// vector path compresses at once ± 1 chunk and ± 1 byte, its 256-chunk subtree limit, the 1 MiB delta chunk, and
    /// uneven sizes whose trees are unbalanced at several levels.
    /// </summary>
    public static TheoryData<int> Lengths() =>
    [
        0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3073, 15 * 1024, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 17 * 1024,
        31 * 1024 + 5, 32 * 1024, 48 * 1024, 64 * 1024, 255 * 1024, 256 * 1024, 256 * 1024 + 1, 257 * 1024,
        300 * 1024 + 77, 512 * 1024, 1 << 20, (1 << 20) + 1, (3 << 20) + 4097,
    ];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Content_hash_of_every_length_equals_the_Blake3_package(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        byte[] expected = new byte[32];
        Blake3.Hasher.Hash(data, expected);

        // On AVX-512F CPUs (the project's machines) this runs Blake3Wide; elsewhere it is the package itself.
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(ContentHash.Compute(data)));
    }

    /// <summary>The BLAKE3 team's published test vectors (test_vectors.json: input byte i is i mod 251).</summary>
    [Theory]
    [InlineData(0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    [InlineData(1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213")]
    public void Content_hash_matches_the_published_BLAKE3_vectors(int length, string hex)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i % 251);
        }

        Assert.Equal(hex, Convert.ToHexStringLower(ContentHash.Compute(data)));
    }
}
