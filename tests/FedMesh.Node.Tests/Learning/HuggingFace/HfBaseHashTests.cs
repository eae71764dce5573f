using System.Text;
using FedMesh.Node.Learning.HuggingFace;
using FedMesh.Node.Learning.HuggingFace.Internal;
using FedMesh.Protocol.Tests;

namespace FedMesh.Node.Tests.Learning.HuggingFace;

/// <summary>SPEC.md §4.2.2: the Hugging Face base hash matches its vector, single-file and sharded.</summary>
public sealed class HfBaseHashTests : IDisposable
{
    private const string Vector = "hf-base-hash";
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-hfhash-").FullName;

    [Fact]
    public void The_spec_vector_file_hashes_to_the_spec_hash()
    {
        string file = Path.Combine(_dir, "model.safetensors");
        File.WriteAllBytes(file, SpecVectors.Bytes(Vector, "file"));
        Assert.Equal(SpecVectors.Text(Vector, "hash"), Hash(file));
    }

    [Fact]
    public void Split_into_shards_the_vector_hashes_the_same()
    {
        string one = Path.Combine(_dir, "one.safetensors");
        string two = Path.Combine(_dir, "two.safetensors");
        File.WriteAllBytes(one, Shard("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]));
        File.WriteAllBytes(two, Shard("{\"__metadata__\":{\"format\":\"pt\"}, \"a\": {\"dtype\": \"BF16\", \"shape\": [2, 1], \"data_offsets\": [0, 4]}}", [0x80, 0x3f, 0, 0x40]));
        Assert.Equal(SpecVectors.Text(Vector, "hash"), Hash(one, two));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Hash(params string[] files)
    {
        var entries = files.SelectMany(f => SafetensorsHeader.Read(f, HfLoadLimits.Default)).Select(e => (e.Name, e)).ToArray();
        (Dictionary<string, TorchSharp.torch.Tensor> weights, byte[] hash) = CheckpointFiles.Load(entries);
        Assert.Equal([1f, 2f], weights["a"].data<float>().ToArray()); // BF16 widened exactly
        Assert.Equal([1f, -2f], weights["b"].data<float>().ToArray());
        foreach (TorchSharp.torch.Tensor t in weights.Values)
        {
            t.Dispose();
        }

        return Convert.ToHexStringLower(hash);
    }

    private static byte[] Shard(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BitConverter.GetBytes((ulong)json.Length).CopyTo(file, 0);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }
}
