using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FedMesh.Protocol.Deltas.Internal;

/// <summary>
/// BLAKE3-256 (unkeyed, 32-byte output; the BLAKE3 paper, O'Connor et al. 2020, §2) for x64 CPUs with AVX-512F:
/// sixteen 1 KiB chunks are compressed at once, one chunk per 32-bit lane of a Vector512, and the parent nodes above
/// them sixteen at a time; the few nodes at the top of the tree and partial chunks use a scalar compression.
/// <para>
/// Why not only the <c>Blake3</c> package (which <see cref="ContentHash"/> still uses on other CPUs): its kernels are
/// ordinary tiered methods, and until the runtime promotes them they run as unoptimised tier-0 code at ~0.45 GB/s
/// instead of ~5 GB/s (measured here: 64 × 1 MiB in 140–170 ms vs 14 ms). Promotion waits for call counting, which
/// the runtime postpones while any new method is being jitted, then for a background compile sharing the node's two
/// cores, so how long the slow phase lasted depended on load and timing: `perf` of `fedmesh bench transfer` showed the
/// package's <c>Mix</c>/<c>Compress16</c>/<c>RotateRight*</c> still [QuickJitted] in the timed runs, adding ~150 ms
/// CPU per 64 MiB to every cipher suite (issue 12). Every method here is <see cref="MethodImplOptions.AggressiveOptimization"/>:
/// compiled optimised on first call, never at tier 0.
/// </para>
/// </summary>
[SkipLocalsInit] // every stackalloc'd block is written before it is read; zeroing them is a pass over 2 KiB per 1 KiB block
internal static class Blake3Wide
{
    /// <summary>Whether <see cref="Hash"/> may be called: it uses AVX-512F instructions directly.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    private const int BlockLength = 64;
    private const int ChunkLength = 1024;

    /// <summary>Chunks (and parents) compressed together: 16 × 32-bit lanes of a 512-bit vector.</summary>
    private const int Lanes = 16;

    /// <summary>
    /// Largest subtree hashed in vector form (256 chunks = 256 KiB): its chaining values, 16 groups × 8 vectors × 64 B
    /// = 8 KiB, live on the stack. Larger inputs are split into such subtrees, which costs one scalar parent per split.
    /// </summary>
    private const int MaxWideChunks = 256;

    // Domain flags (BLAKE3 paper, Table 3).
    private const uint ChunkStart = 1;
    private const uint ChunkEnd = 2;
    private const uint Parent = 4;
    private const uint Root = 8;

    /// <summary>The initialisation vector: SHA-256's, as BLAKE3 specifies.</summary>
    private static readonly uint[] IV =
    [
        0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
    ];

    /// <summary>Message word order of each of the 7 rounds: round r uses the permutation applied r times.</summary>
    private static readonly byte[] Schedule = BuildSchedule();

    /// <summary>Lane indices picking the left (even) and right (odd) child of 16 parents out of 32 chaining values.</summary>
    private static readonly Vector512<uint> EvenLanes = Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<uint> OddLanes = Vector512.Create(1u, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<uint> LaneNumbers = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Writes the 32-byte BLAKE3 hash of <paramref name="input"/> into <paramref name="output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("BLAKE3 wide path needs AVX-512F");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, 32);
        Span<uint> words = stackalloc uint[16];
        if (input.Length <= ChunkLength)
        {
            ChunkScalar(input, 0, Root, words[..8]);
        }
        else
        {
            int left = LeftLength(input.Length);
            Subtree(input[..left], 0, words[..8]);
            Subtree(input[left..], (ulong)(left / ChunkLength), words[8..]);
            ParentScalar(words, Root, words[..8]);
        }

        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(output[(i * 4)..], words[i]);
        }
    }

    /// <summary>
    /// Bytes in the left subtree of a node covering <paramref name="length"/> bytes (&gt; 1 chunk): the largest power
    /// of two number of whole chunks that leaves at least one byte for the right subtree (BLAKE3 paper, §2.1).
    /// </summary>
    private static int LeftLength(int length)
    {
        uint fullChunks = (uint)((length - 1) / ChunkLength);
        return (int)BitOperations.RoundUpToPowerOf2(fullChunks + 1) / 2 * ChunkLength;
    }

    /// <summary>Chaining value of the (non-root) subtree over <paramref name="input"/> starting at chunk <paramref name="chunkCounter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Subtree(ReadOnlySpan<byte> input, ulong chunkCounter, Span<uint> cv)
    {
        if (input.Length <= ChunkLength)
        {
            ChunkScalar(input, chunkCounter, 0, cv);
            return;
        }

        int chunks = input.Length / ChunkLength;
        if (input.Length % ChunkLength == 0 && BitOperations.IsPow2(chunks) && chunks is >= Lanes and <= MaxWideChunks)
        {
            WideSubtree(input, chunkCounter, chunks, cv);
            return;
        }

        int left = LeftLength(input.Length);
        Span<uint> children = stackalloc uint[16];
        Subtree(input[..left], chunkCounter, children[..8]);
        Subtree(input[left..], chunkCounter + (ulong)(left / ChunkLength), children[8..]);
        ParentScalar(children, 0, cv);
    }

    /// <summary>A perfect subtree of <paramref name="chunks"/> (a power of two, 16..256) whole chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideSubtree(ReadOnlySpan<byte> input, ulong chunkCounter, int chunks, Span<uint> cv)
    {
        // Group g's chaining values, word-major: vector 8g + w holds word w of the 16 chunks (or parents) of group g.
        int groups = chunks / Lanes;
        Span<Vector512<uint>> cvs = stackalloc Vector512<uint>[groups * 8];
        for (int g = 0; g < groups; g++)
        {
            Chunks16(input.Slice(g * Lanes * ChunkLength, Lanes * ChunkLength), chunkCounter + (ulong)(g * Lanes), cvs.Slice(g * 8, 8));
        }

        // Each level halves the groups: groups 2h and 2h+1 (32 nodes) make the 16 parents of group h.
        for (; groups > 1; groups /= 2)
        {
            for (int h = 0; h < groups / 2; h++)
            {
                Parents16(cvs.Slice(2 * h * 8, 16), cvs.Slice(h * 8, 8));
            }
        }

        // The last 16 nodes: four more levels (8, 4, 2, 1 parents), too few for lanes; made lane-major, then scalar.
        Span<uint> wordMajor = stackalloc uint[Lanes * 8];
        for (int w = 0; w < 8; w++)
        {
            cvs[w].CopyTo(wordMajor.Slice(w * Lanes, Lanes));
        }

        Span<uint> nodes = stackalloc uint[Lanes * 8];
        for (int i = 0; i < Lanes; i++)
        {
            for (int w = 0; w < 8; w++)
            {
                nodes[(i * 8) + w] = wordMajor[(w * Lanes) + i];
            }
        }

        for (int count = Lanes; count > 1; count /= 2)
        {
            for (int j = 0; j < count / 2; j++)
            {
                // Children 2j and 2j+1 are the 16 words at 16j; the parent overwrites slot j (j ≤ 2j, already read).
                ParentScalar(nodes.Slice(j * 16, 16), 0, nodes.Slice(j * 8, 8));
            }
        }

        nodes[..8].CopyTo(cv);
    }

    /// <summary>Chaining values of 16 consecutive whole chunks (16 KiB) starting at chunk <paramref name="chunkCounter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunks16(ReadOnlySpan<byte> input, ulong chunkCounter, Span<Vector512<uint>> cv)
    {
        for (int w = 0; w < 8; w++)
        {
            cv[w] = Vector512.Create(IV[w]);
        }

        // Per-lane 64-bit chunk counters, split into low and high words; the high word changes inside a group only
        // past 2^32 chunks (4 TiB), but computing it per lane costs nothing here.
        Vector512<uint> low = Vector512.Create((uint)chunkCounter) + LaneNumbers;
        Vector512<uint> carry = Vector512.ConditionalSelect(Vector512.LessThan(low, Vector512.Create((uint)chunkCounter)), Vector512<uint>.One, Vector512<uint>.Zero);
        Vector512<uint> high = Vector512.Create((uint)(chunkCounter >> 32)) + carry;

        Span<Vector512<uint>> message = stackalloc Vector512<uint>[16];
        ref uint words = ref Unsafe.As<byte, uint>(ref MemoryMarshal.GetReference(input));
        for (int block = 0; block < ChunkLength / BlockLength; block++)
        {
            // Row i = block `block` of chunk i; transposed, vector j = message word j of all 16 chunks.
            for (int i = 0; i < Lanes; i++)
            {
                message[i] = Vector512.LoadUnsafe(ref words, (nuint)((i * ChunkLength / 4) + (block * BlockLength / 4)));
            }

            Transpose(message);
            uint flags = (block == 0 ? ChunkStart : 0) | (block == (ChunkLength / BlockLength) - 1 ? ChunkEnd : 0);
            Compress(cv, message, low, high, BlockLength, flags);
        }
    }

    /// <summary>
    /// The 16 parents of 32 nodes given as two word-major groups (<paramref name="children"/>: 8 vectors for nodes
    /// 0–15, then 8 for nodes 16–31); parent i joins nodes 2i and 2i+1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Parents16(ReadOnlySpan<Vector512<uint>> children, Span<Vector512<uint>> parents)
    {
        Span<Vector512<uint>> message = stackalloc Vector512<uint>[16];
        for (int w = 0; w < 8; w++)
        {
            message[w] = Avx512F.PermuteVar16x32x2(children[w], EvenLanes, children[8 + w]);
            message[8 + w] = Avx512F.PermuteVar16x32x2(children[w], OddLanes, children[8 + w]);
        }

        for (int w = 0; w < 8; w++)
        {
            parents[w] = Vector512.Create(IV[w]);
        }

        // Parents use counter 0 and a full block (paper §2.5).
        Compress(parents, message, Vector512<uint>.Zero, Vector512<uint>.Zero, BlockLength, Parent);
    }

    /// <summary>The compression function on 16 lanes; <paramref name="cv"/> is replaced by the first 8 output words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compress(Span<Vector512<uint>> cv, ReadOnlySpan<Vector512<uint>> m, Vector512<uint> counterLow, Vector512<uint> counterHigh, uint blockLength, uint flags)
    {
        Vector512<uint> v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
        Vector512<uint> v8 = Vector512.Create(IV[0]), v9 = Vector512.Create(IV[1]), v10 = Vector512.Create(IV[2]), v11 = Vector512.Create(IV[3]);
        Vector512<uint> v12 = counterLow, v13 = counterHigh, v14 = Vector512.Create(blockLength), v15 = Vector512.Create(flags);
        ReadOnlySpan<byte> schedule = Schedule;
        for (int round = 0; round < 7; round++)
        {
            ReadOnlySpan<byte> s = schedule.Slice(round * 16, 16);
            G(ref v0, ref v4, ref v8, ref v12, m[s[0]], m[s[1]]);
            G(ref v1, ref v5, ref v9, ref v13, m[s[2]], m[s[3]]);
            G(ref v2, ref v6, ref v10, ref v14, m[s[4]], m[s[5]]);
            G(ref v3, ref v7, ref v11, ref v15, m[s[6]], m[s[7]]);
            G(ref v0, ref v5, ref v10, ref v15, m[s[8]], m[s[9]]);
            G(ref v1, ref v6, ref v11, ref v12, m[s[10]], m[s[11]]);
            G(ref v2, ref v7, ref v8, ref v13, m[s[12]], m[s[13]]);
            G(ref v3, ref v4, ref v9, ref v14, m[s[14]], m[s[15]]);
        }

        cv[0] = v0 ^ v8;
        cv[1] = v1 ^ v9;
        cv[2] = v2 ^ v10;
        cv[3] = v3 ^ v11;
        cv[4] = v4 ^ v12;
        cv[5] = v5 ^ v13;
        cv[6] = v6 ^ v14;
        cv[7] = v7 ^ v15;
    }

    /// <summary>The quarter-round G (paper §2.2), lane-wise; rotations are single vprord instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref Vector512<uint> a, ref Vector512<uint> b, ref Vector512<uint> c, ref Vector512<uint> d, Vector512<uint> mx, Vector512<uint> my)
    {
        a += b + mx;
        d = Avx512F.RotateRight(d ^ a, 16);
        c += d;
        b = Avx512F.RotateRight(b ^ c, 12);
        a += b + my;
        d = Avx512F.RotateRight(d ^ a, 8);
        c += d;
        b = Avx512F.RotateRight(b ^ c, 7);
    }

    /// <summary>
    /// Transposes 16 rows of 16 words in place (row i, word j → row j, word i): 32-bit then 64-bit unpacks within
    /// 128-bit lanes, then two rounds of 128-bit lane shuffles (vshufi32x4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(Span<Vector512<uint>> rows)
    {
        Span<Vector512<uint>> t = stackalloc Vector512<uint>[16];
        for (int p = 0; p < 8; p++)
        {
            // Per 128-bit lane L: (r2p[4L], r2p+1[4L], r2p[4L+1], r2p+1[4L+1]) and the same for 4L+2, 4L+3.
            t[2 * p] = Avx512F.UnpackLow(rows[2 * p], rows[(2 * p) + 1]);
            t[(2 * p) + 1] = Avx512F.UnpackHigh(rows[2 * p], rows[(2 * p) + 1]);
        }

        Span<Vector512<uint>> c = stackalloc Vector512<uint>[16];
        for (int q = 0; q < 4; q++)
        {
            // c[4q + r], 128-bit lane L: word 4L + r of rows 4q..4q+3.
            c[(4 * q) + 0] = Avx512F.UnpackLow(t[4 * q].AsUInt64(), t[(4 * q) + 2].AsUInt64()).AsUInt32();
            c[(4 * q) + 1] = Avx512F.UnpackHigh(t[4 * q].AsUInt64(), t[(4 * q) + 2].AsUInt64()).AsUInt32();
            c[(4 * q) + 2] = Avx512F.UnpackLow(t[(4 * q) + 1].AsUInt64(), t[(4 * q) + 3].AsUInt64()).AsUInt32();
            c[(4 * q) + 3] = Avx512F.UnpackHigh(t[(4 * q) + 1].AsUInt64(), t[(4 * q) + 3].AsUInt64()).AsUInt32();
        }

        for (int r = 0; r < 4; r++)
        {
            // Output word 4L + r takes 128-bit lane L of c[r], c[4 + r], c[8 + r], c[12 + r]: a 4 × 4 lane transpose.
            Vector512<uint> d0 = Avx512F.Shuffle4x128(c[r], c[4 + r], 0x44);
            Vector512<uint> d1 = Avx512F.Shuffle4x128(c[r], c[4 + r], 0xEE);
            Vector512<uint> d2 = Avx512F.Shuffle4x128(c[8 + r], c[12 + r], 0x44);
            Vector512<uint> d3 = Avx512F.Shuffle4x128(c[8 + r], c[12 + r], 0xEE);
            rows[r] = Avx512F.Shuffle4x128(d0, d2, 0x88);
            rows[4 + r] = Avx512F.Shuffle4x128(d0, d2, 0xDD);
            rows[8 + r] = Avx512F.Shuffle4x128(d1, d3, 0x88);
            rows[12 + r] = Avx512F.Shuffle4x128(d1, d3, 0xDD);
        }
    }

    /// <summary>Chaining value (or, with <see cref="Root"/>, the hash) of one chunk of at most 1 KiB.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChunkScalar(ReadOnlySpan<byte> chunk, ulong chunkCounter, uint lastFlags, Span<uint> cv)
    {
        IV.CopyTo(cv);
        Span<uint> block = stackalloc uint[16];
        Span<byte> padded = stackalloc byte[BlockLength];
        int blocks = Math.Max(1, (chunk.Length + BlockLength - 1) / BlockLength);
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> bytes = chunk.Slice(b * BlockLength, Math.Min(BlockLength, chunk.Length - (b * BlockLength)));
            padded.Clear();
            bytes.CopyTo(padded);
            for (int i = 0; i < 16; i++)
            {
                block[i] = BinaryPrimitives.ReadUInt32LittleEndian(padded[(i * 4)..]);
            }

            uint flags = (b == 0 ? ChunkStart : 0) | (b == blocks - 1 ? ChunkEnd | lastFlags : 0);
            CompressScalar(cv, block, chunkCounter, (uint)bytes.Length, flags, cv);
        }
    }

    /// <summary>Parent (or root, with <see cref="Root"/>) of two chaining values, <paramref name="children"/> = left ‖ right.</summary>
    private static void ParentScalar(ReadOnlySpan<uint> children, uint extraFlags, Span<uint> cv) =>
        CompressScalar(IV, children, 0, BlockLength, Parent | extraFlags, cv);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CompressScalar(ReadOnlySpan<uint> cv, ReadOnlySpan<uint> m, ulong counter, uint blockLength, uint flags, Span<uint> output)
    {
        Span<uint> v = stackalloc uint[16];
        cv[..8].CopyTo(v);
        IV.AsSpan(0, 4).CopyTo(v[8..]);
        v[12] = (uint)counter;
        v[13] = (uint)(counter >> 32);
        v[14] = blockLength;
        v[15] = flags;
        ReadOnlySpan<byte> schedule = Schedule;
        for (int round = 0; round < 7; round++)
        {
            ReadOnlySpan<byte> s = schedule.Slice(round * 16, 16);
            GScalar(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            GScalar(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            GScalar(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            GScalar(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            GScalar(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            GScalar(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            GScalar(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            GScalar(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }

        for (int i = 0; i < 8; i++)
        {
            output[i] = v[i] ^ v[i + 8];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GScalar(Span<uint> v, int a, int b, int c, int d, uint mx, uint my)
    {
        v[a] += v[b] + mx;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 12);
        v[a] += v[b] + my;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 8);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 7);
    }

    /// <summary>
    /// Row r: the message word order of round r. Round 0 takes words in order; each next round permutes the previous
    /// round's order by BLAKE3's fixed permutation (paper §2.2, Table 2).
    /// </summary>
    private static byte[] BuildSchedule()
    {
        ReadOnlySpan<byte> permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
        byte[] schedule = new byte[7 * 16];
        for (int i = 0; i < 16; i++)
        {
            schedule[i] = (byte)i;
        }

        for (int round = 1; round < 7; round++)
        {
            for (int i = 0; i < 16; i++)
            {
                schedule[(round * 16) + i] = schedule[((round - 1) * 16) + permutation[i]];
            }
        }

        return schedule;
    }
}
