namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>Bounds applied before any part of an untrusted Hugging Face model folder is parsed.</summary>
public sealed record HfLoadLimits
{
    public static readonly HfLoadLimits Default = new();

    /// <summary>16 MiB of safetensors JSON header: a 70 B model's shard headers are ≈100 KiB; the format itself allows 100 MB.</summary>
    public int MaxHeaderBytes { get; init; } = 16 << 20;

    /// <summary>20 000 tensors per file: a 256-layer Llama has ≈2 300.</summary>
    public int MaxTensors { get; init; } = 20_000;

    /// <summary>model.safetensors.index.json of a 70 B model is ≈60 KiB; 16 MiB bounds the parse.</summary>
    public int MaxIndexBytes { get; init; } = 16 << 20;

    /// <summary>Shards named by an index: the largest public checkpoints have a few hundred.</summary>
    public int MaxShards { get; init; } = 1024;

    /// <summary>Tokenizer files (tokenizer.json of a 150 k vocabulary is ≈11 MiB): 64 MiB bounds what is parsed.</summary>
    public long MaxTokenizerBytes { get; init; } = 64L << 20;
}
