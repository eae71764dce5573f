using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Learning.Internal;

internal sealed partial class ByteTransformer
{
    /// <summary>
    /// Per-example losses with per-example gradients of the LoRA factors, for DP-SGD. Each factor is copied b times
    /// into a leaf tensor [b, …] (example i reads only copy i through batched matmuls), so one backward pass of the
    /// summed losses leaves example i's gradient of every factor in row i of the copies' gradients: the "expanded
    /// weights" method of Opacus (Yousefpour et al. 2021, §3), exact, at the cost of one LoRA-sized gradient per
    /// example (b × 36,864 floats for the demo's adapter) — the base model's work is shared as in a normal step.
    /// Ghost clipping (Li et al. 2022) avoids even that but needs a second backward pass; for adapters this small the
    /// materialised gradients are cheaper (measured by <c>fedmesh bench train --dp</c>).
    /// </summary>
    /// <param name="input">Byte indices [b, t].</param>
    /// <param name="target">Next bytes [b, t]; <see cref="RecordSampler.IgnoredTarget"/> marks padding.</param>
    /// <returns>Each example's mean loss over its predicted bytes [b], and the leaf copies in adapter order
    /// (A then B per site; only B with <see cref="LoraOptions.FreezeA"/>) whose <c>grad</c> rows hold the per-example gradients after backward.</returns>
    public (Tensor Losses, Tensor[] Leaves) PerExampleLosses(Tensor input, Tensor target)
    {
        if (_loraOptions is null)
        {
            throw new InvalidOperationException("per-example gradients need LoRA adapters attached");
        }

        long b = input.shape[0];
        var copies = new Dictionary<string, (Tensor A, Tensor B)>(StringComparer.Ordinal);
        var leaves = new Tensor[_adapters.Count];
        int next = 0;
        foreach ((string site, (Parameter a, Parameter bFactor)) in _lora)
        {
            // A frozen (FFA-LoRA): one shared view, no per-example copy and no gradient.
            Tensor ae = a.requires_grad
                ? a.detach().unsqueeze(0).expand(b, -1, -1).contiguous().requires_grad_(true)
                : a.detach().unsqueeze(0).expand(b, -1, -1);
            Tensor be = bFactor.detach().unsqueeze(0).expand(b, -1, -1).contiguous().requires_grad_(true);
            copies[site] = (ae, be);
        }

        // Adapter order (the schema's), not the dictionary's.
        foreach (NamedParameter p in _adapters)
        {
            string site = p.Name[..^LoraLayout.ASuffix.Length];
            bool isA = p.Name.EndsWith(LoraLayout.ASuffix, StringComparison.Ordinal);
            leaves[next++] = isA ? copies[site].A : copies[site].B;
        }

        _perExample = copies;
        try
        {
            Tensor logits = Forward(input, training: true);
            Tensor perToken = F.cross_entropy(logits.reshape(-1, ModelOptions.VocabSize), target.reshape(-1),
                ignore_index: RecordSampler.IgnoredTarget, reduction: nn.Reduction.None).view(b, -1);
            Tensor counts = target.ne(RecordSampler.IgnoredTarget).sum(1).clamp_min(1).to(perToken.dtype);
            return (perToken.sum(1).div(counts), leaves);
        }
        finally
        {
            _perExample = null;
        }
    }
}
