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
