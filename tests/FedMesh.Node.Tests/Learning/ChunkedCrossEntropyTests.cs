using FedMesh.Node.Learning.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Tests.Learning;

/// <summary>The head's cross-entropy in row blocks equals the whole-logits cross-entropy, in value and gradient.</summary>
public sealed class ChunkedCrossEntropyTests
{
    [Theory]
    [InlineData(false, 1000L)] // 37 tokens × 53 classes in blocks of ≤ 18 rows: 3 blocks, the last shorter
    [InlineData(true, 1000L)]
    [InlineData(false, 1L << 20)] // one block
    public void Value_and_gradient_equal_the_whole_logits_cross_entropy(bool sum, long maxLogits)
    {
        using DisposeScope scope = NewDisposeScope();
        using var generator = new Generator(3);
        Tensor input = randn(new long[] { 37, 16 }, generator: generator);
        Tensor head = randn(new long[] { 53, 16 }, generator: generator);
        Tensor targets = randint(0, 53, new long[] { 37 }, generator: generator);
        var p1 = new Parameter(randn(new long[] { 16, 16 }, generator: generator));
        var p2 = new Parameter(p1.detach().clone());

        Tensor expected = F.cross_entropy(F.linear(input.matmul(p1), head), targets, reduction: sum ? nn.Reduction.Sum : nn.Reduction.Mean);
        expected.backward();
        Tensor actual = ChunkedCrossEntropy.Loss(input.matmul(p2), head, targets, sum, maxLogits);
        actual.backward();

        Assert.Equal(expected.item<float>(), actual.item<float>(), 1e-4f * Math.Abs(expected.item<float>()));
        Assert.True(p1.grad!.allclose(p2.grad!, rtol: 1e-4, atol: 1e-6), "gradients into the trunk agree");
        Assert.True(p1.grad!.abs().sum().item<float>() > 0, "the gradient is not trivially zero");
    }

    [Fact]
    public void Without_gradients_it_only_scores()
    {
        using DisposeScope scope = NewDisposeScope();
        using var generator = new Generator(5);
        Tensor hidden = randn(new long[] { 20, 8 }, generator: generator);
        Tensor head = randn(new long[] { 30, 8 }, generator: generator);
        Tensor targets = randint(0, 30, new long[] { 20 }, generator: generator);
        using (no_grad())
        {
            Tensor actual = ChunkedCrossEntropy.Loss(hidden, head, targets, sum: true, maxLogitElements: 100);
            Assert.False(actual.requires_grad);
            Assert.Equal(F.cross_entropy(F.linear(hidden, head), targets, reduction: nn.Reduction.Sum).item<float>(), actual.item<float>(), 1e-3f);
        }
    }
}
