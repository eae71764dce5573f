namespace FedMesh.Node.Merge.Internal;

/// <summary>A fixed enum ↔ snake_case name table for config, CLI and JSON, with errors that list the valid names.</summary>
internal sealed class NameTable<T>(string what, params (T Value, string Name)[] entries)
    where T : struct, Enum
{
    public IReadOnlyList<T> All { get; } = entries.Select(e => e.Value).ToArray();

    public string ToName(T value)
    {
        foreach ((T v, string name) in entries)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"unknown {what}");
    }

    public bool TryParse(string? name, out T value, out string error)
    {
        foreach ((T v, string n) in entries)
        {
            if (string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                error = string.Empty;
                return true;
            }
        }

        value = default;
        error = $"unknown {what} '{name}'; expected one of: {string.Join(", ", entries.Select(e => e.Name))}";
        return false;
    }
}
