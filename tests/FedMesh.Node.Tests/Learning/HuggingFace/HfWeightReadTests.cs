using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Learning.HuggingFace.Internal;
using TorchSharp;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>
/// The weight reader (pread into the tensors' storage, 16-bit types widened block by block) against safetensors files
/// written here byte by byte: every value arrives exactly, across read-block boundaries and vector tails, and a file
/// that shrinks after its header was checked fails by name instead of loading part of a tensor.
/// </summary>
public sealed class HfWeightReadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-hf-read-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void F32_BF16_and_F16_tensors_load_exactly_as_the_file_holds_them()
    {
        // Sizes cross the 4 MiB read block (F32: 1.2 M elements; BF16: 2.2 M) and end off any vector width (+3, +5).
        var random = new Random(7);
        float[] f32 = Enumerable.Range(0, 1_200_003).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        f32[0] = -0.0f;
        f32[1] = float.Epsilon;
        f32[2] = BitConverter.Int32BitsToSingle(0x7fc01234); // a NaN with payload: copied as bits
        ushort[] bf16 = Enumerable.Range(0, 2_200_005).Select(_ => (ushort)random.Next(0, 0x7f80)).ToArray();
        Half[] f16 = Enumerable.Range(0, 70_001).Select(_ => (Half)((random.NextDouble() * 100) - 50)).ToArray();
        string file = Write(
            ("a.f32", "F32", [f32.Length], MemoryMarshal.AsBytes(f32.AsSpan()).ToArray()),
            ("b.bf16", "BF16", [bf16.Length], MemoryMarshal.AsBytes(bf16.AsSpan()).ToArray()),
            ("c.f16", "F16", [f16.Length], MemoryMarshal.AsBytes(f16.AsSpan()).ToArray()));

        (Dictionary<string, torch.Tensor> weights, byte[] hash) = CheckpointFiles.Load(Resolve(file));
        try
        {
            Assert.Equal(32, hash.Length);
            Assert.Equal(MemoryMarshal.AsBytes(f32.AsSpan()).ToArray(), weights["a.f32"].bytes.ToArray());
            uint[] widened = MemoryMarshal.Cast<byte, uint>(weights["b.bf16"].bytes).ToArray();
            Assert.Equal(bf16.Select(b => (uint)b << 16).ToArray(), widened);
            Assert.Equal(f16.Select(h => (float)h).ToArray(), weights["c.f16"].data<float>().ToArray());
        }
        finally
        {
            foreach (torch.Tensor t in weights.Values)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void A_file_cut_short_after_its_header_was_checked_fails_naming_the_tensor()
    {
        string file = Write(("a", "F32", [1024], new byte[4096]), ("b", "F32", [2 << 20], new byte[8 << 20]));
        IReadOnlyList<(string, SafetensorsEntry)> resolved = Resolve(file);
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(stream.Length - 1000); // a copy still being written, or a disk that filled up
        }

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => CheckpointFiles.Load(resolved));
        Assert.Contains("truncated while loading: tensor 'b'", e.Message, StringComparison.Ordinal);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vectorised_bf16_widening_equals_the_scalar_rule_for_every_bit_pattern()
    {
        ushort[] all = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        float[] into = new float[all.Length];
        CheckpointFiles.Bf16ToSingle(all, into);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal((uint)i << 16, BitConverter.SingleToUInt32Bits(into[i]));
        }
    }

    private static List<(string, SafetensorsEntry)> Resolve(string file) =>
        SafetensorsHeader.Read(file, HfLoadLimits.Default).Select(e => (e.Name, e)).ToList();

    /// <summary>A safetensors file: u64 LE header length, JSON header, the tensors' bytes in order.</summary>
    private string Write(params (string Name, string Dtype, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach ((string name, string dtype, long[] shape, byte[] data) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.safetensors");
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        stream.Write(json);
        foreach ((_, _, _, byte[] data) in tensors)
        {
            stream.Write(data);
        }

        return path;
    }
}
