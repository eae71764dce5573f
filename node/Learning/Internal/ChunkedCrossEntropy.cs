using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// Cross-entropy of a linear output head, cross_entropy(hidden · headᵀ, targets), without ever holding the whole
/// [tokens × vocabulary] logits. With a 50 257-token vocabulary and 4 × 128 tokens the logits, the log-softmax autograd
/// saves and the two gradients backward creates are 103 MB each (≈ 300 MB at the start of backward, a fifth of a
/// 124 M model's training peak). Here the head runs over row blocks of at most <see cref="MaxLogitElements"/>
/// logits; with gradients on, each block's backward runs at once into a detached copy of the hidden states, and the
/// returned loss carries that gradient back into the trunk: loss = Σ(hidden ⊙ g) − Σ(hidden ⊙ g).detach() + value,
/// whose value is the cross-entropy and whose gradient with respect to hidden is g. The head weight must not need a
/// gradient (a frozen base: LoRA never adapts the output head).
/// </summary>
internal static class ChunkedCrossEntropy
{
    /// <summary>2 Mi floats (8 MiB) of logits per block: still ≥ 40 rows at GPT-2's vocabulary, enough for the head's
    /// matrix product to run at full speed, while a block's logits, log-softmax and two gradients stay ≈ 32 MB.</summary>
    public const long MaxLogitElements = 2L << 20;

    /// <param name="hidden">[tokens, width] hidden states (may require a gradient).</param>
    /// <param name="head">[vocabulary, width] output head (no gradient).</param>
    /// <param name="targets">[tokens] target ids.</param>
    /// <param name="sum">Sum over tokens instead of the mean.</param>
    /// <param name="maxLogitElements">Logits per block (tests use small blocks).</param>
    public static Tensor Loss(Tensor hidden, Tensor head, Tensor targets, bool sum, long maxLogitElements = MaxLogitElements)
    {
        long tokens = hidden.shape[0];
        long vocabulary = head.shape[0];
        long blocks = Math.Max(1, ((tokens * vocabulary) + maxLogitElements - 1) / maxLogitElements);
        long rows = (tokens + blocks - 1) / blocks;
        double scale = sum ? 1.0 : 1.0 / tokens;
        bool backward = is_grad_enabled() && hidden.requires_grad;
        using Tensor leaf = backward ? hidden.detach().requires_grad_(true) : hidden.alias();
        // Held by using across every mul below (a temporary Scalar can be freed by a GC mid-call: TorchScalars).
        using Scalar scaleScalar = TorchScalars.Owned(scale);
        double total = 0;
        for (long at = 0; at < tokens; at += rows)
        {
            using DisposeScope scope = NewDisposeScope();
            long n = Math.Min(rows, tokens - at);
            Tensor logits = F.linear(leaf.narrow(0, at, n), head);
            Tensor block = F.cross_entropy(logits, targets.narrow(0, at, n), reduction: nn.Reduction.Sum).mul(scaleScalar);
            logits.Dispose(); // autograd keeps the log-softmax it needs, not the logits
            if (backward)
            {
                block.backward();
            }

            total += block.item<float>();
        }

        Tensor value = tensor((float)total);
        if (!backward)
        {
            return value;
        }

        using Tensor gradient = leaf.grad!.detach();
        Tensor carrier = hidden.mul(gradient).sum();
        return carrier.sub(carrier.detach()).add(value, TorchScalars.One);
    }
}
