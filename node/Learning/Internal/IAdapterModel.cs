using static TorchSharp.torch;

namespace FedMesh.Node.Learning.Internal;

/// <summary>
/// What the trainer (<see cref="StepRunner"/>) and <see cref="TorchLearner"/> need of a frozen language model with
/// LoRA factors: the built-in byte model (<see cref="ByteTransformer"/>) and Hugging Face bases
/// (<see cref="HuggingFace.Internal.HfTransformer"/>) both provide it, so plain and DP-SGD training work on either.
/// </summary>
internal interface IAdapterModel : IDisposable
{
    /// <summary>Tokens per training window.</summary>
    int Context { get; }

    /// <summary>Token ids are 0 … VocabSize − 1 (rows of the logits).</summary>
    int VocabSize { get; }

    /// <summary>LoRA factors in schema order.</summary>
    IReadOnlyList<NamedParameter> AdapterParameters { get; }

    /// <summary>Frozen base weights counted (for reports).</summary>
    long BaseParameterCount { get; }

    /// <summary>Logits [batch, time, VocabSize] for token ids [batch, time].</summary>
    Tensor Forward(Tensor indices, bool training);

    /// <summary>Mean (or summed) cross-entropy in nats per token of predicting window[:, 1:] from window[:, :-1].</summary>
    Tensor Loss(Tensor windows, bool training, bool sum = false);

    /// <summary>Per-example losses [b] and per-example leaf copies of the LoRA factors (see ByteTransformer.PerExample).</summary>
    (Tensor Losses, Tensor[] Leaves) PerExampleLosses(Tensor input, Tensor target);
}
