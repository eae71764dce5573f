using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Internal;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedMesh.Node.Tests.Learning;

public sealed class OptimizerTests
{
    [Theory]
    [InlineData(0f, 100f)]
    [InlineData(0.01f, 0.05f)]
    public void Fused_adamw_matches_torch_adamw_with_gradient_clipping(float weightDecay, float clipNorm)
    {
        var options = TrainerOptions.Default with { LearningRate = 0.01f, WeightDecay = weightDecay, ClipNorm = clipNorm };
        using var generator = new Generator(5);
        using Tensor start = randn(new long[] { 6, 5 }, generator: generator);
        using Tensor target = randn(new long[] { 6, 5 }, generator: generator);
        var ours = new Parameter(start.clone());
        var reference = new Parameter(start.clone());
        var fused = new FusedAdamW(new[] { ours }, options);
        using optim.Optimizer torchAdamW = optim.AdamW(new[] { reference }, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);

        for (int step = 0; step < 5; step++)
        {
            using (DisposeScope scope = NewDisposeScope())
            {
                ours.mul(ours).mul(target).sum().backward();
                fused.Step();
            }

            using (DisposeScope scope = NewDisposeScope())
            {
                torchAdamW.zero_grad();
                reference.mul(reference).mul(target).sum().backward();
                nn.utils.clip_grad_norm_(new[] { reference }, clipNorm);
                torchAdamW.step();
            }
        }

        float[] a = ours.data<float>().ToArray();
        float[] b = reference.data<float>().ToArray();
        Assert.NotEqual(start.data<float>().ToArray(), a);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(b[i], a[i], 1e-5f);
        }
    }

    [Fact]
    public void Clip_coefficient_is_one_below_the_limit_and_scales_to_the_limit_above_it()
    {
        Assert.Equal(1f, AdamWMath.ClipCoefficient(0.5, 1f));
        Assert.Equal(0.25f, AdamWMath.ClipCoefficient(4.0, 1f), 5);
    }

    [Fact]
    public void First_adamw_step_moves_each_weight_by_the_learning_rate_against_its_gradient_sign()
    {
        // At t = 1 the bias-corrected m/√v is g/|g| (ε aside): Adam's first step has size lr (Kingma & Ba 2015, §2.1).
        float[] p = { 1f, 1f };
        float[] g = { 3f, -0.5f };
        float[] m = new float[2], v = new float[2], scratch = new float[2];

        AdamWMath.Step(p, g, m, v, scratch, 1, lr: 0.1f, beta1: 0.9f, beta2: 0.999f, eps: 1e-8f, weightDecay: 0f);

        Assert.Equal(0.9f, p[0], 5);
        Assert.Equal(1.1f, p[1], 5);
    }
}
