using System.Collections;
using FedMesh.Node.Configuration.Internal;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace FedMesh.Node.Configuration;

/// <summary>
/// Reads <c>fedmesh.toml</c> into <see cref="NodeOptions"/>: keys missing from the file keep their defaults,
/// <c>FEDMESH_SECTION__KEY=value</c> environment variables override the file, and every problem (syntax, unknown
/// key or section, wrong type, out-of-range value, inconsistent keys) is collected into one
/// <see cref="ConfigException"/> whose lines read <c>file:line: key problem</c>.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Prefix of environment overrides; the section and key are separated by a double underscore.</summary>
    public const string EnvironmentPrefix = "FEDMESH_";

    /// <summary>
    /// Largest accepted file: a complete commented config is about 6 KiB; 1 MiB leaves room for long allowlists
    /// and still bounds what is read before parsing.
    /// </summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Reads and validates <paramref name="path"/>; <paramref name="environment"/> null means the process environment.</summary>
    public static NodeOptions Load(string path, IReadOnlyDictionary<string, string>? environment = null)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
            {
                throw Single(path, $"is {stream.Length} bytes; a configuration file may be at most {MaxFileBytes} bytes");
            }

            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Single(path, $"cannot be read: {ex.Message}");
        }

        return Parse(text, path, environment);
    }

    /// <summary>Parses TOML text; <paramref name="sourceName"/> is the file name used in error messages.</summary>
    public static NodeOptions Parse(string toml, string sourceName, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(toml);
        if (toml.Length > MaxFileBytes)
        {
            throw Single(sourceName, $"is {toml.Length} characters; a configuration file may be at most {MaxFileBytes}");
        }

        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(toml, sourceName, validate: true);
        }
        catch (TomlException ex)
        {
            // Raised for limits such as nesting deeper than Tomlyn's MaxDepth (64), which bounds recursion.
            throw new ConfigException([new ConfigError(sourceName, ex.Line, string.Empty, ex.Message)]);
        }

        if (document.HasErrors)
        {
            throw new ConfigException(document.Diagnostics
                .Where(d => d.Kind == DiagnosticMessageKind.Error)
                .Select(d => new ConfigError(sourceName, d.Span.Start.Line + 1, string.Empty, d.Message))
                .ToList());
        }

        var errors = new List<ConfigError>();
        var origins = new Dictionary<string, (string Source, int? Line)>(StringComparer.Ordinal);
        NodeOptions options = NodeOptions.Default;

        var structural = new List<(int Line, string Key, string Message)>();
        foreach (TomlEntry entry in TomlEntries.Read(document, structural))
        {
            string path = string.Join('.', entry.Path);
            ConfigKey? key = entry.Path.Count == 2 ? ConfigKeys.Find(path) : null;
            if (key is null)
            {
                errors.Add(new ConfigError(sourceName, entry.Line, path, UnknownKeyMessage(entry.Path)));
                continue;
            }

            object? value = ValueConverter.FromToml(key, entry.Value, out string? problem);
            options = Apply(options, key, value, problem, sourceName, entry.Line, errors);
            origins[key.Path] = (sourceName, entry.Line);
        }

        errors.AddRange(structural.Select(s => new ConfigError(sourceName, s.Line, s.Key, s.Message)));

        foreach ((string name, string text) in Overrides(environment ?? ProcessEnvironment()))
        {
            string source = $"environment {name}";
            ConfigKey? key = FindByEnvironmentName(name);
            if (key is null)
            {
                errors.Add(new ConfigError(source, null, name, "is not a known FEDMESH_SECTION__KEY override"));
                continue;
            }

            object? value = ValueConverter.FromEnvironment(key, text, out string? problem);
            options = Apply(options, key, value, problem, source, null, errors);
            origins[key.Path] = (source, null);
        }

        if (errors.Count == 0)
        {
            foreach ((string keyPath, string message) in CrossChecks.Check(options))
            {
                (string source, int? line) = origins.GetValueOrDefault(keyPath, (sourceName, null));
                errors.Add(new ConfigError(source, line, keyPath, message));
            }
        }

        return errors.Count == 0 ? options : throw new ConfigException(errors.OrderBy(e => e.Line ?? int.MaxValue).ToList());
    }

    /// <summary>The process's FEDMESH_* variables.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && entry.Value is string value)
            {
                result[name] = value;
            }
        }

        return result;
    }

    private static NodeOptions Apply(NodeOptions options, ConfigKey key, object? value, string? problem, string source, int? line, List<ConfigError> errors)
    {
        problem ??= value is null ? "has no value" : key.Check(value);
        if (problem is not null)
        {
            errors.Add(new ConfigError(source, line, key.Path, problem));
            return options;
        }

        return key.Set(options, value!);
    }

    /// <summary>FEDMESH_*__* variables only, in a stable order; other FEDMESH_ variables are not configuration keys.</summary>
    private static IEnumerable<(string Name, string Value)> Overrides(IReadOnlyDictionary<string, string> environment) =>
        environment
            .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && e.Key.Contains("__", StringComparison.Ordinal))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => (e.Key, e.Value));

    private static ConfigKey? FindByEnvironmentName(string name) =>
        ConfigKeys.All.FirstOrDefault(k => string.Equals(k.EnvironmentVariable, name, StringComparison.OrdinalIgnoreCase));

    private static string UnknownKeyMessage(IReadOnlyList<string> path)
    {
        if (path.Count == 1)
        {
            return "is not a known key: every key belongs to a section such as [node] or [gossip]";
        }

        string section = path[0];
        string[] known = ConfigKeys.All.Where(k => k.Section == section).Select(k => k.Name).ToArray();
        return known.Length == 0
            ? $"is not a known key: [{section}] is not a section"
            : $"is not a known key (known in [{section}]: {string.Join(", ", known)})";
    }

    private static ConfigException Single(string source, string message) =>
        new([new ConfigError(source, null, string.Empty, message)]);
}
