namespace FedMesh.Node.Configuration;

/// <summary>The <c>[learning]</c> section: the base model and the LoRA adapter trained on it.</summary>
public sealed record LearningSection
{
    public static readonly LearningSection Default = new();

    /// <summary>The model sizes the node can build (<c>NodeFactory.ModelSizes</c> defines each; a test keeps the two equal).</summary>
    public static readonly IReadOnlyList<string> KnownModelSizes = ["tiny", "small"];

    /// <summary>Base model size name as the learner defines it; "tiny" because CPU-only nodes are the norm.</summary>
    public string ModelSize { get; init; } = "tiny";

    /// <summary>
    /// The base model: "builtin" (the byte-level model, pretrained into the shared cache; the demo's), the absolute path
    /// of a Hugging Face model folder (config.json, model.safetensors or a sharded index, tokenizer files), or the
    /// absolute path of a checkpoint written by <c>fedmesh pretrain --out</c>. Every node of a mesh needs the same base
    /// (its hash is the mesh's base identity, SPEC.md §4.2.1-2).
    /// </summary>
    public string Base { get; init; } = BuiltinBase;

    /// <summary>The <see cref="Base"/> value naming the built-in byte-level model.</summary>
    public const string BuiltinBase = "builtin";

    /// <summary>Tokens per training and evaluation window on a Hugging Face base (the built-in model uses its own 64
    /// bytes): 128 tokens ≈ 500 bytes of English, and a GPT-2-small LoRA step of batch 4 stays near a second on 2 cores.</summary>
    public int Context { get; init; } = 128;

    /// <summary>Absolute path of an adapter the node starts from (PEFT's adapter_config.json + adapter_model.safetensors,
    /// or a FedMesh export); empty = LoRA's zero initialisation. Its base and schema must match the node's.</summary>
    public string InitAdapter { get; init; } = "";

    /// <summary>Rank 8: the LoRA paper finds ranks 4-8 already match full fine-tuning on many tasks (Hu et al., 2021, §7.2).</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary>α = 2·rank (16) is the common choice; the update is scaled by α/r (Hu et al., 2021, §4.1).</summary>
    public double LoraAlpha { get; init; } = 16;

    /// <summary>Adapt the attention query and value projections, the paper's recommended pair (Hu et al., 2021, §7.1).
    /// On a Hugging Face base these map to PEFT module names (q → q_proj or GPT-2's c_attn, …), which may also be
    /// given directly ("c_attn", "q_proj", "gate_proj", …).</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q", "v"];

    /// <summary>FFA-LoRA (<see cref="Learning.LoraOptions.FreezeA"/>): A frozen at an initialisation every node derives
    /// from the mesh id, only B trained, noised and exchanged (half the bytes). Off by default: plain LoRA.</summary>
    public bool LoraFrozenA { get; init; }

    /// <summary>Learning rate 1e-3: a typical AdamW rate for LoRA adapters of small models.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Batch of 8 sequences: fits small-memory edge devices; DP-SGD clips per example, so bigger batches cost more.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>0 = one thread per core (TorchSharp's default); set it to leave cores free on shared machines.</summary>
    public int Threads { get; init; }

    /// <summary>Held-out bytes scored per evaluation (status bpc, validation gate); 64 KiB = 1,024 windows, a ±0.5 %
    /// estimate. Each evaluation of that size costs about as much as a round of 20 training steps, so small devices
    /// (and the demo) lower it.</summary>
    public int EvalBytes { get; init; } = 64 * 1024;

    /// <summary>Steps to pretrain the base model when it is not cached yet. 3000 steps of batch 16 × 64 bytes give the
    /// default tiny model ≈ 2.3 bits per byte on held-out Moby-Dick; every node of a mesh must use the same value
    /// (it is part of the base model's identity).</summary>
    public int PretrainSteps { get; init; } = 3000;
}
