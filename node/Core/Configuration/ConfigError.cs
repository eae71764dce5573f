namespace FedMesh.Node.Configuration;

/// <summary>
/// One problem in the configuration, e.g. <c>fedmesh.toml:12: gossip.fanout must be between 1 and 64, got 0</c>.
/// </summary>
/// <param name="Source">The file path as given, or "environment FEDMESH_…" for an override.</param>
/// <param name="Line">1-based line in <paramref name="Source"/>, or null when the problem has no single line.</param>
/// <param name="Key">"section.name" (or the unknown key as written).</param>
/// <param name="Message">What is wrong, phrased to follow the key.</param>
public sealed record ConfigError(string Source, int? Line, string Key, string Message)
{
    public override string ToString()
    {
        string where = Line is { } line ? $"{Source}:{line}" : Source;
        return Key.Length == 0 ? $"{where}: {Message}" : $"{where}: {Key} {Message}";
    }
}
