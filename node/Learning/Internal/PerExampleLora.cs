using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// The "expanded weights" per-example gradients of LoRA factors (Opacus, Yousefpour et al. 2021, §3) for any model:
/// each factor is copied b times into a leaf [b, …]; example i reads only copy i through batched matmuls, so one
/// backward pass of the summed losses leaves example i's gradient in row i of each copy's gradient.
/// </summary>
internal static class PerExampleLora
{
    /// <summary>Leaf copies per site, and the leaves in adapter (schema) order.</summary>
    public static (Dictionary<string, (Tensor A, Tensor B)> Copies, Tensor[] Leaves) Expand(
        IReadOnlyDictionary<string, (Parameter A, Parameter B)> lora, IReadOnlyList<NamedParameter> adapters, long batch, string aSuffix, string bSuffix)
    {
        var copies = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        foreach ((string site, (Parameter a, Parameter b)) in lora)
        {
            copies[site] = (Leaf(a, batch), Leaf(b, batch));
        }

        var leaves = new Tensor[adapters.Count];
        for (int i = 0; i < adapters.Count; i++)
        {
            string name = adapters[i].Name;
            leaves[i] = name.EndsWith(aSuffix, StringComparison.Ordinal)
                ? copies[name[..^aSuffix.Length]].A
                : copies[name[..^bSuffix.Length]].B;
        }

        return (copies, leaves);
    }

    /// <summary>y + scale · (x Aᵢᵀ) Bᵢᵀ per example i.</summary>
    public static Tensor Add(Tensor y, Tensor x, (Tensor A, Tensor B) copies, Scalar scale) =>
        y.add(x.bmm(copies.A.transpose(1, 2)).bmm(copies.B.transpose(1, 2)), scale);

    /// <summary>Each example's mean loss over its non-ignored targets [b].</summary>
    public static Tensor MeanLosses(Tensor logits, Tensor target, int vocabulary)
    {
        long b = target.shape[0];
        Tensor perToken = F.cross_entropy(logits.reshape(-1, vocabulary), target.reshape(-1),
            ignore_index: RecordSampler.IgnoredTarget, reduction: nn.Reduction.None).view(b, -1);
        Tensor counts = target.ne(TorchScalars.Constant(RecordSampler.IgnoredTarget)).sum(1).clamp_min(TorchScalars.One).to(perToken.dtype);
        return perToken.sum(1).div(counts);
    }

    /// <summary>A trained factor's per-example leaf; a frozen one (FFA-LoRA's A) is one shared view: no copy, no gradient.</summary>
    private static Tensor Leaf(Parameter p, long batch) =>
        p.requires_grad
            ? p.detach().unsqueeze(0).expand(batch, -1, -1).contiguous().requires_grad_(true)
            : p.detach().unsqueeze(0).expand(batch, -1, -1);
}
