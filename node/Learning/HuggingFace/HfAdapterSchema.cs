using FedMesh.Node.Learning.HuggingFace.Internal;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning.HuggingFace;

/// <summary>The adapter schema over a Hugging Face base: it follows from the checkpoint's config and the LoRA setting.</summary>
public static class HfAdapterSchema
{
    /// <summary>PEFT module names the LoRA options select on <paramref name="architecture"/>, in canonical order.</summary>
    public static IReadOnlyList<string> Modules(HfArchitecture architecture, LoraOptions lora)
    {
        ArgumentNullException.ThrowIfNull(lora);
        IReadOnlyList<string> known = HfLayout.Modules(architecture);
        if (lora.Modules is { Count: > 0 } named)
        {
            foreach (string m in named)
            {
                if (!known.Contains(m, StringComparer.Ordinal))
                {
                    throw new ArgumentException($"LoRA target module \"{m}\" does not exist in this architecture (known: {string.Join(", ", known)})");
                }
            }

            return known.Where(named.Contains).ToArray();
        }

        bool gpt2 = architecture == HfArchitecture.Gpt2;
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        void Map(LoraTargets flag, params string[] modules)
        {
            if ((lora.Targets & flag) != 0)
            {
                chosen.UnionWith(modules);
            }
        }

        // GPT-2 fuses q, k and v into c_attn and names both output projections c_proj (as PEFT matches them).
        Map(LoraTargets.Query, gpt2 ? "c_attn" : "q_proj");
        Map(LoraTargets.Key, gpt2 ? "c_attn" : "k_proj");
        Map(LoraTargets.Value, gpt2 ? "c_attn" : "v_proj");
        Map(LoraTargets.Output, gpt2 ? "c_proj" : "o_proj");
        Map(LoraTargets.MlpUp, gpt2 ? ["c_fc"] : ["gate_proj", "up_proj"]);
        Map(LoraTargets.MlpDown, gpt2 ? "c_proj" : "down_proj");
        return known.Where(chosen.Contains).ToArray();
    }

    /// <summary>Adapted linear maps in schema order.</summary>
    internal static IReadOnlyList<HfLinear> Sites(HfModelConfig config, LoraOptions lora)
    {
        ArgumentNullException.ThrowIfNull(config);
        IReadOnlyList<string> modules = Modules(config.Architecture, lora);
        if (modules.Count == 0)
        {
            throw new ArgumentException("no LoRA target module selected");
        }

        if (lora.Rank < 1 || lora.Rank > Math.Min(config.Hidden, 256))
        {
            throw new ArgumentException($"Rank must be 1..min(hidden, 256) = {Math.Min(config.Hidden, 256)}");
        }

        if (!float.IsFinite(lora.Alpha) || lora.Alpha <= 0 || lora.Dropout is < 0f or >= 1f)
        {
            throw new ArgumentException("Alpha must be positive and Dropout in [0, 1)");
        }

        return HfLayout.Linears(config).Where(l => modules.Contains(l.Module, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>"&lt;path&gt;.lora_A.weight" [r, in] then "&lt;path&gt;.lora_B.weight" [out, r] per site.</summary>
    public static AdapterSchema Create(HfModelConfig config, LoraOptions lora)
    {
        var tensors = new List<TensorInfo>();
        foreach (HfLinear site in Sites(config, lora))
        {
            tensors.Add(new TensorInfo(site.Path + HfAdapterNames.ASuffix, [lora.Rank, site.In]));
            tensors.Add(new TensorInfo(site.Path + HfAdapterNames.BSuffix, [site.Out, lora.Rank]));
        }

        return new AdapterSchema(tensors);
    }
}
