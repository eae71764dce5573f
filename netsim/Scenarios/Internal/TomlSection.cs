using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using FedMesh.Node.Configuration;
using Tomlyn.Syntax;

namespace FedMesh.NetSim.Scenarios.Internal;

/// <summary>
/// The key/value pairs of one TOML table with their lines, read on demand with typed, range-checked getters (the
/// same syntax-tree approach as node/Configuration/ConfigLoader, so every error has a line). Getters record which
/// keys are known; <see cref="RejectUnknown"/> then reports every other key.
/// </summary>
internal sealed class TomlSection(string source, string prefix, int line, List<ScenarioError> errors)
{
    private readonly Dictionary<string, (ValueSyntax Value, int Line)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _known = [];

    public int Line { get; } = line;

    public string Source => source;

    public List<ScenarioError> Errors => errors;

    public void Add(string key, ValueSyntax value, int keyLine) => _entries[key] = (value, keyLine);

    public bool Has(string name)
    {
        _known.Add(name);
        return _entries.ContainsKey(name);
    }

    public string Path(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public int LineOf(string name) => _entries.TryGetValue(name, out var e) ? e.Line : Line;

    public void Error(string name, string message) => errors.Add(new ScenarioError(source, LineOf(name), Path(name), message));

    public long Integer(string name, long fallback, long min, long max)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return fallback;
        }

        if (value is not IntegerValueSyntax integer)
        {
            Error(name, $"must be an integer, got {TomlEntries.Describe(value)}");
            return fallback;
        }

        if (integer.Value < min || integer.Value > max)
        {
            Error(name, $"must be between {min} and {max}, got {integer.Value}");
            return fallback;
        }

        return integer.Value;
    }

    public int Int(string name, int fallback, int min, int max) => (int)Integer(name, fallback, min, max);

    /// <summary>A number (integers accepted) in [min, max]; <paramref name="exclusiveMin"/> makes the lower end open.</summary>
    public double Double(string name, double fallback, double min, double max, bool exclusiveMin = false)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return fallback;
        }

        double? number = value switch
        {
            FloatValueSyntax f => f.Value,
            IntegerValueSyntax i => i.Value,
            _ => null,
        };
        if (number is not { } x)
        {
            Error(name, $"must be a number, got {TomlEntries.Describe(value)}");
            return fallback;
        }

        bool low = exclusiveMin ? x > min : x >= min;
        if (!low || !(x <= max))
        {
            string lower = exclusiveMin ? "(" : "[";
            Error(name, string.Create(CultureInfo.InvariantCulture, $"must be in {lower}{min}, {max}], got {x}"));
            return fallback;
        }

        return x;
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return fallback;
        }

        if (value is BooleanValueSyntax b)
        {
            return b.Value;
        }

        Error(name, $"must be true or false, got {TomlEntries.Describe(value)}");
        return fallback;
    }

    public string? String(string name)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return null;
        }

        if (value is StringValueSyntax s && s.Value is { } text)
        {
            return text;
        }

        Error(name, $"must be a string, got {TomlEntries.Describe(value)}");
        return null;
    }

    /// <summary>An array of strings (null when absent or not an array of strings; the error is recorded).</summary>
    public string[]? Strings(string name)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return null;
        }

        if (value is not ArraySyntax array)
        {
            Error(name, $"must be an array of strings, got {TomlEntries.Describe(value)}");
            return null;
        }

        var items = new List<string>();
        foreach (ArrayItemSyntax item in array.Items)
        {
            if (item.Value is not StringValueSyntax { Value: { } text })
            {
                Error(name, $"must hold strings, got {(item.Value is { } v ? TomlEntries.Describe(v) : "nothing")}");
                return null;
            }

            items.Add(text);
        }

        return items.ToArray();
    }

    /// <summary>A string naming one of <paramref name="choices"/>.</summary>
    public T Choice<T>(string name, T fallback, params (string Name, T Value)[] choices)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }

        foreach ((string n, T v) in choices)
        {
            if (string.Equals(n, text, StringComparison.Ordinal))
            {
                return v;
            }
        }

        Error(name, $"\"{text}\" is not one of {string.Join(", ", choices.Select(c => $"\"{c.Name}\""))}");
        return fallback;
    }

    /// <summary>An array of integers, each in [0, count) (node indices).</summary>
    public int[]? Nodes(string name, int count) => NodeArray(name, Path(name), TryGet(name, out ValueSyntax? v) ? v : null, count);

    /// <summary>An inline table of named node arrays (partition groups).</summary>
    public List<KeyValuePair<string, int[]>>? Groups(string name, int count)
    {
        if (!TryGet(name, out ValueSyntax? value))
        {
            return null;
        }

        if (value is not InlineTableSyntax table)
        {
            Error(name, $"must be an inline table of named node lists, e.g. {{ east = [0, 1], west = [2, 3] }}, got {TomlEntries.Describe(value)}");
            return null;
        }

        var groups = new List<KeyValuePair<string, int[]>>();
        foreach (InlineTableItemSyntax item in table.Items)
        {
            if (item.KeyValue is not { Key: { } key, Value: { } nodes })
            {
                continue;
            }

            string group = key.Key switch
            {
                BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
                StringValueSyntax quoted => quoted.Value ?? string.Empty,
                _ => string.Empty,
            };
            if (NodeArray(name, $"{Path(name)}.{group}", nodes, count) is { } members)
            {
                groups.Add(new(group, members));
            }
        }

        return groups;
    }

    /// <summary>Reports every key no getter asked for.</summary>
    public void RejectUnknown()
    {
        foreach ((string key, (_, int keyLine)) in _entries.OrderBy(e => e.Value.Line))
        {
            if (!_known.Contains(key))
            {
                errors.Add(new ScenarioError(source, keyLine, Path(key), $"is not a known key (known here: {string.Join(", ", _known.Distinct())})"));
            }
        }
    }

    private int[]? NodeArray(string name, string path, ValueSyntax? value, int count)
    {
        if (value is null)
        {
            return null;
        }

        int line = LineOf(name);
        if (value is not ArraySyntax array)
        {
            errors.Add(new ScenarioError(source, line, path, $"must be an array of node indices, got {TomlEntries.Describe(value)}"));
            return null;
        }

        var nodes = new List<int>();
        foreach (ArrayItemSyntax item in array.Items)
        {
            if (item.Value is not IntegerValueSyntax { Value: var index })
            {
                errors.Add(new ScenarioError(source, line, path, $"must hold node indices (integers), got {(item.Value is { } v ? TomlEntries.Describe(v) : "nothing")}"));
                return null;
            }

            if (index < 0 || index >= count)
            {
                errors.Add(new ScenarioError(source, line, path, $"node {index} does not exist ({count} nodes, indices 0..{count - 1})"));
                return null;
            }

            if (nodes.Contains((int)index))
            {
                errors.Add(new ScenarioError(source, line, path, $"lists node {index} twice"));
                return null;
            }

            nodes.Add((int)index);
        }

        return nodes.ToArray();
    }

    private bool TryGet(string name, [NotNullWhen(true)] out ValueSyntax? value)
    {
        _known.Add(name);
        if (_entries.TryGetValue(name, out var entry))
        {
            value = entry.Value;
            return true;
        }

        value = null;
        return false;
    }
}
