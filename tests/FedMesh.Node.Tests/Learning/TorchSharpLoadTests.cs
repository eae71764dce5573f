using TorchSharp;
using static TorchSharp.torch;

namespace FedMesh.Node.Tests.Learning;

/// <summary>Proves the build's ELF fix (build/TorchSharpGlibcFix.targets) lets libtorch load on this system.</summary>
public sealed class TorchSharpLoadTests
{
    [Fact]
    public void TorchSharp_loads_and_multiplies_matrices()
    {
        using var scope = NewDisposeScope();
        Tensor a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        Tensor b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        float[] product = matmul(a, b).data<float>().ToArray();
        Assert.Equal(new float[] { 19, 22, 43, 50 }, product);
    }
}
