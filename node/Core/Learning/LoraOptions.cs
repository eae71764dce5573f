namespace FedMesh.Node.Learning;

/// <summary>Which linear maps of each block carry a LoRA adapter.</summary>
[Flags]
public enum LoraTargets
{
    None = 0,
    Query = 1,
    Key = 2,
    Value = 4,
    Output = 8,
    MlpUp = 16,
    MlpDown = 32,
    Attention = Query | Key | Value | Output,
    All = Attention | MlpUp | MlpDown,
}

/// <summary>
/// Low-rank adaptation W + (α/r)·B·A (Hu et al. 2021, "LoRA", §4.1). Part of the adapter schema: all nodes of a
/// mesh must agree on rank and targets (α and dropout only scale and regularise training).
/// </summary>
public sealed record LoraOptions
{
    /// <summary>The paper's recommended setting: r = 8 on the query and value projections (§7.1, Table 5).</summary>
    public static readonly LoraOptions Default = new();

    /// <summary>Rank 8: the paper finds little gain above it for q,v; 2×8×128 floats per matrix keep deltas ≈ 16 KiB.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>α = 2r, the common PEFT choice; the effective scale α/r = 2 stays fixed if r is changed with α.</summary>
    public float Alpha { get; init; } = 16f;

    /// <summary>
    /// No dropout by default: local rounds are short (tens of steps) and averaging across peers already
    /// regularises; dropout would also make rounds depend on libtorch's global RNG.
    /// </summary>
    public float Dropout { get; init; }

    /// <summary>Query and value, as in the paper's main experiments.</summary>
    public LoraTargets Targets { get; init; } = LoraTargets.Query | LoraTargets.Value;

    /// <summary>
    /// PEFT module names to adapt on a Hugging Face base ("c_attn", "q_proj", …; PEFT's target_modules); null derives
    /// them from <see cref="Targets"/> (q → q_proj / c_attn, o → o_proj / c_proj, mlp_up → gate_proj + up_proj / c_fc, …).
    /// The built-in model ignores it.
    /// </summary>
    public IReadOnlyList<string>? Modules { get; init; }

    /// <summary>
    /// FFA-LoRA (Sun et al., ICLR 2024, "Improving LoRA in privacy-preserving federated learning"): A stays frozen at
    /// its initialisation and only B trains, is noised and is exchanged. Off by default (plain LoRA). With A shared and
    /// fixed the model is linear in B, so averaging the nodes' B is exactly averaging their updates (plain LoRA averages
    /// A and B separately, which is not the average of B·A), DP noise covers half the coordinates, and an adapter is
    /// half the bytes. Part of the schema: the schema lists only the B tensors, so FFA and plain nodes never mix. Every
    /// node of a mesh must initialise A alike: the node seeds it from the mesh id (<c>learning.lora_frozen_a</c>).
    /// </summary>
    public bool FreezeA { get; init; }

    /// <summary>The factor applied to B·A·x.</summary>
    public float Scale => Alpha / Rank;

    public void Validate(ModelOptions model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelOptions.Require(Rank >= 1 && Rank <= Math.Min(model.Width, 256), nameof(Rank), $"must be 1..min(Width, 256) = {Math.Min(model.Width, 256)}");
        ModelOptions.Require(float.IsFinite(Alpha) && Alpha > 0, nameof(Alpha), "must be a positive finite number");
        ModelOptions.Require(Dropout is >= 0f and < 1f, nameof(Dropout), "must be in [0, 1)");
        ModelOptions.Require(Targets != LoraTargets.None && (Targets & ~LoraTargets.All) == 0, nameof(Targets), "must name at least one of q, k, v, o, mlp_up, mlp_down");
    }
}
