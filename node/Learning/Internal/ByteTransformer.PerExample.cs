using static TorchSharp.torch;

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

        (Dictionary<string, (Tensor A, Tensor B)> copies, Tensor[] leaves) =
            PerExampleLora.Expand(_lora, _adapters, input.shape[0], LoraLayout.ASuffix, LoraLayout.BSuffix);
        _perExample = copies;
        try
        {
            return (PerExampleLora.MeanLosses(Forward(input, training: true), target, ModelOptions.VocabSize), leaves);
        }
        finally
        {
            _perExample = null;
        }
    }
}
