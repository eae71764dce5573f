namespace FedMesh.Node.Learning;

/// <summary>How token positions enter the model.</summary>
public enum PositionEncoding
{
    /// <summary>A trained [context, width] table (GPT-2 style).</summary>
    Learned = 0,

    /// <summary>Fixed sin/cos features (Vaswani et al. 2017, §3.5); no parameters, so nothing to ship.</summary>
    Sinusoidal = 1,
}

/// <summary>
/// Shape of the shared byte-level decoder-only transformer (pre-LN, causal attention, GELU MLP).
/// Every node of a mesh must use the same options: they determine the base checkpoint and the adapter schema.
/// </summary>
public sealed record ModelOptions
{
    /// <summary>Bytes are the tokens: no tokenizer to agree on, any UTF-8 text is valid input.</summary>
    public const int VocabSize = 256;

    /// <summary>Small enough to train on a laptop CPU in minutes (≈0.47 M parameters with the defaults below).</summary>
    public static readonly ModelOptions Default = new();

    /// <summary>Two blocks: the smallest depth where attention can compose (induction heads need two layers).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Model width d; 128 keeps a LoRA step of batch 16×64 near 50 steps/s on 2 CPU threads.</summary>
    public int Width { get; init; } = 128;

    /// <summary>Four heads of 32 dimensions each: the common head size of small GPTs.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Context of 64 bytes: about a sentence, enough for byte-level n-gram and word structure.</summary>
    public int Context { get; init; } = 64;

    /// <summary>MLP hidden width as a multiple of <see cref="Width"/>; 4 as in the original transformer.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Learned positions are what GPT-2 uses and cost only Context×Width parameters.</summary>
    public PositionEncoding Positions { get; init; } = PositionEncoding.Learned;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        // Upper bounds keep a hostile checkpoint header from asking for absurd allocations.
        Require(Layers is >= 1 and <= 64, nameof(Layers), "must be 1..64");
        Require(Width is >= 8 and <= 4096, nameof(Width), "must be 8..4096");
        Require(Heads is >= 1 and <= 64, nameof(Heads), "must be 1..64");
        Require(Width % Heads == 0, nameof(Heads), $"must divide Width ({Width})");
        Require(Context is >= 2 and <= 8192, nameof(Context), "must be 2..8192");
        Require(MlpRatio is >= 1 and <= 16, nameof(MlpRatio), "must be 1..16");
        Require(Enum.IsDefined(Positions), nameof(Positions), "is not a known encoding");
    }

    internal int MlpWidth => Width * MlpRatio;

    internal static void Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            // No paramName: it would append "(Parameter '…')" to a message that already names the field.
            throw new ArgumentException($"{field} {message}");
        }
    }
}
