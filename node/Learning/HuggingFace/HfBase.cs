using System.Diagnostics;
using FedMesh.Node.Learning.HuggingFace.Internal;
using FedMesh.Node.Learning.Internal;
using TorchSharp;

namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>
/// A frozen Hugging Face base model (learning.base = a model folder): config, tokenizer and float32 weights, loaded
/// once and shared read-only by every learner over it (weights are never copied per learner). Its <see cref="Hash"/>
/// is the mesh's base identity (SPEC.md §4.2.2): peers whose bases differ refuse each other's deltas.
/// </summary>
public sealed class HfBase : IDisposable
{
    private readonly Dictionary<string, torch.Tensor> _weights;
    private bool _disposed;

    private HfBase(string directory, HfModelConfig config, HfTokenizer tokenizer, Dictionary<string, torch.Tensor> weights, byte[] hash, TimeSpan loadTime, TimeSpan readTime)
    {
        ReadTime = readTime;
        Directory = directory;
        Config = config;
        Tokenizer = tokenizer;
        _weights = weights;
        Hash = hash;
        LoadTime = loadTime;
    }

    /// <summary>The model folder (absolute).</summary>
    public string Directory { get; }

    public HfModelConfig Config { get; }

    public HfTokenizer Tokenizer { get; }

    /// <summary>SHA-256 over the weights' names, dtypes, shapes and bytes (32 bytes; independent of sharding).</summary>
    public byte[] Hash { get; }

    public string HashHex => Convert.ToHexStringLower(Hash);

    /// <summary>Wall time of <see cref="Load"/> (headers, tokenizer, weights and hash).</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>The part of <see cref="LoadTime"/> spent reading, widening and hashing the weights.</summary>
    public TimeSpan ReadTime { get; }

    public long ParameterCount => _weights.Values.Sum(w => w.numel());

    /// <summary>The name PEFT records as base_model_name_or_path: the folder's name.</summary>
    public string Name => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>Weights by canonical name (GPT-2 names with "transformer."); owned by this base, read-only.</summary>
    internal IReadOnlyDictionary<string, torch.Tensor> Weights
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _weights;
        }
    }

    /// <summary>True when <paramref name="directory"/> looks like a Hugging Face model folder (has config.json).</summary>
    public static bool IsModelFolder(string directory) => File.Exists(Path.Combine(directory, "config.json"));

    /// <summary>
    /// Loads a model folder. Config, tokenizer, every safetensors header and every required tensor's dtype and shape
    /// are checked first; only then are weights loaded (all or none). Errors name the file and the key or tensor.
    /// </summary>
    public static HfBase Load(string directory, HfLoadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        limits ??= HfLoadLimits.Default;
        long start = Stopwatch.GetTimestamp();
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"{full}: base model folder does not exist");
        }

        HfModelConfig config = HfModelConfig.Load(Path.Combine(full, "config.json"));
        HfTokenizer tokenizer = HfTokenizer.Load(full, limits);
        IReadOnlyDictionary<string, SafetensorsEntry> entries = CheckpointFiles.Entries(full, limits);
        var resolved = CheckpointFiles.Resolve(full, entries, HfLayout.Tensors(config));
        SafetensorsEntry embedding = resolved[0].Entry;
        if (tokenizer.VocabularySize > embedding.Shape[0])
        {
            // Checkpoints often pad the embedding beyond the tokenizer (Qwen2: 151 936 rows for 151 665 tokens); a
            // tokenizer with ids past the last row belongs to another model.
            throw new InvalidDataException(
                $"{tokenizer.Source}: the tokenizer has {tokenizer.VocabularySize} token ids but '{embedding.Name}' in {embedding.File} has {embedding.Shape[0]} rows: tokenizer and weights belong to different models");
        }

        long read = Stopwatch.GetTimestamp();
        (Dictionary<string, torch.Tensor> weights, byte[] hash) = CheckpointFiles.Load(resolved);
        LinuxMemory.TrimHeap();
        return new HfBase(full, config, tokenizer, weights, hash, Stopwatch.GetElapsedTime(start), Stopwatch.GetElapsedTime(read));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (torch.Tensor t in _weights.Values)
        {
            t.Dispose();
        }
    }
}
