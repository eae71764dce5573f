using System.Globalization;
using System.Runtime.InteropServices;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.IO.Internal;
using FedMesh.Protocol.Tests.Deltas;

namespace FedMesh.Protocol.Tests.IO;

public class PayloadBufferTests
{
    private const nuint Huge = PayloadBuffer.HugePageBytes;

    [Theory]
    [InlineData(0x1000UL, 8UL << 20, 2UL << 20, 6UL << 20)] // unaligned start: the partial pages at both ends are left out
    [InlineData(4UL << 20, 4UL << 20, 4UL << 20, 4UL << 20)] // aligned both ends: all of it
    [InlineData(0x1000UL, (4UL << 20) - 0x2000, 2UL << 20, 0UL)] // no whole huge page inside
    public void Only_whole_aligned_huge_pages_inside_the_buffer_are_advised(ulong start, ulong length, ulong first, ulong advised)
    {
        (nuint f, nuint n) = PayloadBuffer.WholeHugePages((nuint)start, (nuint)length);
        Assert.Equal((nuint)advised, n);
        if (advised > 0)
        {
            Assert.Equal((nuint)first, f);
        }
    }

    [SkippableFact]
    public void A_large_delta_is_encoded_and_assembled_in_huge_page_advised_memory()
    {
        SkipUnlessTransparentHugePages();

        // 5 MiB of float32 in 1 MiB chunks: large enough to contain at least one whole aligned 2 MiB page.
        var schema = new AdapterSchema([new TensorInfo("layers.0.big", [5 * 256 * 1024])]);
        float[] values = TestDeltas.RandomFlat(3, schema);
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(schema, values, TensorEncoding.Float32);
        using NSec.Cryptography.Key key = TestDeltas.KeyFromSeed(5);
        SignedDelta delta = SignedDelta.Create(key, TestDeltas.Header(1) with { Schema = schema, ChunkSize = DeltaLimits.DefaultChunkSize }, encoded);
        var assembler = new DeltaAssembler(delta);
        for (int i = 0; i < assembler.ChunkCount; i++)
        {
            Assert.Equal(ChunkOutcome.Accepted, assembler.Accept(delta.Chunk(encoded.Payload, i)));
        }

        AssertHugePageAdvised(assembler.Payload);
        AssertHugePageAdvised(encoded.Payload);
        Assert.True(assembler.Payload.Span.SequenceEqual(encoded.Payload.Span));
    }

    private static void AssertHugePageAdvised(ReadOnlyMemory<byte> payload)
    {
        Assert.True(MemoryMarshal.TryGetArray(payload, out ArraySegment<byte> array));
        GCHandle pin = GCHandle.Alloc(array.Array, GCHandleType.Pinned);
        try
        {
            (nuint first, nuint length) = PayloadBuffer.WholeHugePages((nuint)pin.AddrOfPinnedObject(), (nuint)array.Array!.Length);
            Assert.NotEqual((nuint)0, length);
            Assert.Contains("hg", VmFlags(first));
            Assert.Contains("hg", VmFlags(first + length - 1));
        }
        finally
        {
            pin.Free();
        }
    }

    [SkippableFact]
    public void A_buffer_without_a_whole_huge_page_is_left_alone()
    {
        SkipUnlessTransparentHugePages();
        Assert.False(PayloadBuffer.AdviseHugePages(new byte[(int)Huge - 1]));
    }

    private static void SkipUnlessTransparentHugePages()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "transparent huge pages are a Linux feature");
        Skip.IfNot(File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"), "this kernel has no transparent huge pages");
    }

    /// <summary>The VmFlags of the mapping of /proc/self/smaps that contains <paramref name="address"/>.</summary>
    private static string[] VmFlags(nuint address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash
                && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong from)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong to))
            {
                inside = from <= address && address < to;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        throw new InvalidOperationException($"no mapping in /proc/self/smaps contains 0x{address:x}");
    }
}
