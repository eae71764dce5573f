namespace FedMesh.Node.Learning;

/// <summary>The configuration names of <see cref="LoraTargets"/> ("q", "k", "v", "o", "mlp_up", "mlp_down"), shared by
/// the node's config and netsim's scenario files.</summary>
public static class LoraTargetNames
{
    private static readonly (string Name, LoraTargets Target)[] Names =
    [
        ("q", LoraTargets.Query),
        ("k", LoraTargets.Key),
        ("v", LoraTargets.Value),
        ("o", LoraTargets.Output),
        ("mlp_up", LoraTargets.MlpUp),
        ("mlp_down", LoraTargets.MlpDown),
    ];

    /// <summary>PEFT module names of the Hugging Face layouts (GPT-2, then Llama), usable on a Hugging Face base.</summary>
    private static readonly string[] ModuleNames = ["c_attn", "c_proj", "c_fc", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>"c_attn, c_proj, …", for error messages.</summary>
    public static string KnownModules => string.Join(", ", ModuleNames);

    /// <summary>True for a PEFT module name (learning.lora_targets on a Hugging Face base).</summary>
    public static bool IsModuleName(string name) => ModuleNames.Contains(name, StringComparer.Ordinal);

    /// <summary>"q, k, v, o, mlp_up, mlp_down", for error messages.</summary>
    public static string Known => string.Join(", ", Names.Select(n => n.Name));

    /// <summary>The union of the named targets; false with the first unknown name in <paramref name="unknown"/>.</summary>
    public static bool TryParse(IEnumerable<string> names, out LoraTargets targets, out string? unknown)
    {
        ArgumentNullException.ThrowIfNull(names);
        targets = LoraTargets.None;
        foreach (string name in names)
        {
            int at = Array.FindIndex(Names, n => string.Equals(n.Name, name, StringComparison.Ordinal));
            if (at < 0)
            {
                unknown = name;
                return false;
            }

            targets |= Names[at].Target;
        }

        unknown = null;
        return true;
    }
}
