namespace FedMesh.NetSim.Scenarios;

/// <summary>One problem in a scenario file: <c>partition-heal.toml:14: events[2].groups: node 9 does not exist (8 nodes)</c>.</summary>
/// <param name="Source">File name as shown to the user.</param>
/// <param name="Line">1-based line, or null when the problem has no single line (an unreadable file).</param>
/// <param name="Key">Dotted key path (events are <c>events[i]</c>, 0-based), or empty.</param>
public sealed record ScenarioError(string Source, int? Line, string Key, string Message)
{
    public override string ToString()
    {
        string where = Line is { } line ? $"{Source}:{line}" : Source;
        return Key.Length == 0 ? $"{where}: {Message}" : $"{where}: {Key}: {Message}";
    }
}

/// <summary>The scenario cannot be run; <see cref="Errors"/> lists every problem, one per line of the message.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(IReadOnlyList<ScenarioError> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public IReadOnlyList<ScenarioError> Errors { get; }
}
