using System.Security.Cryptography;
using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using FedMesh.Protocol.Tests;

namespace FedMesh.Node.Tests.Learning;

/// <summary>SPEC.md §4.2.1: the base-model hash is computable from the spec; the code matches its vectors.</summary>
public class BaseModelHashTests
{
    private const string Vector = "base-model-format";

    [Fact]
    public void The_canonical_safetensors_form_matches_the_spec_vector_byte_for_byte()
    {
        byte[] file = Safetensors.Write(
            [new NamedTensor("a", [2, 2], [0.5f, -1f, 2f, 0f]), new NamedTensor("b", [3], [1f, 2f, 3f])],
            new Dictionary<string, string>(StringComparer.Ordinal) { ["layers"] = "1", ["fedmesh.format"] = "base-v1" });

        Assert.Equal(SpecVectors.Text(Vector, "file"), Convert.ToHexStringLower(file));
        Assert.Equal(SpecVectors.Text(Vector, "hash"), Convert.ToHexStringLower(SHA256.HashData(file)));
    }

    [Fact]
    public void The_default_tiny_model_with_zero_weights_hashes_to_the_spec_vector_whatever_order_its_tensors_come_in()
    {
        ModelOptions options = ModelOptions.Default;
        // Given in reverse layout order: the hash depends on names, shapes and values, not on how they were stored.
        NamedTensor[] weights = ByteTransformer.BaseLayout(options)
            .Select(l => new NamedTensor(l.Name, l.Shape, new float[l.Shape.Aggregate(1L, (a, b) => a * b)]))
            .Reverse()
            .ToArray();

        BaseModel model = BaseModel.Create(options, weights);

        Assert.Equal(38, weights.Length);
        Assert.Equal(470_784, model.ParameterCount);
        Assert.Equal(SpecVectors.Text(Vector, "tiny_zero_hash"), model.HashHex);
    }
}
