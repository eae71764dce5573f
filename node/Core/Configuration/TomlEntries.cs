using Tomlyn.Syntax;

namespace FedMesh.Node.Configuration;

/// <summary>One <c>key = value</c> of the file, with its full dotted path (table name + key) and 1-based line.</summary>
public readonly record struct TomlEntry(IReadOnlyList<string> Path, ValueSyntax Value, int Line);

/// <summary>Flattens a parsed TOML document into entries and structural problems (unsupported table arrays).</summary>
public static class TomlEntries
{
    public static IEnumerable<TomlEntry> Read(DocumentSyntax document, List<(int Line, string Key, string Message)> problems)
    {
        foreach (KeyValueSyntax kv in document.KeyValues)
        {
            yield return Entry([], kv);
        }

        foreach (TableSyntaxBase table in document.Tables)
        {
            List<string> tablePath = table.Name is { } name ? KeyParts(name) : [];
            int line = LineOf(table);
            if (table is TableArraySyntax)
            {
                problems.Add((line, $"[[{string.Join('.', tablePath)}]]", "is an array of tables, which no section of fedmesh.toml is"));
                continue;
            }

            if (tablePath.Count != 1 || !ConfigKeys.Sections.Contains(tablePath[0], StringComparer.Ordinal))
            {
                problems.Add((line, $"[{string.Join('.', tablePath)}]", $"is not a known section (known: {string.Join(", ", ConfigKeys.Sections)})"));
                continue;
            }

            foreach (KeyValueSyntax kv in table.Items)
            {
                yield return Entry(tablePath, kv);
            }
        }
    }

    /// <summary>1-based line where <paramref name="node"/> starts (Tomlyn positions are 0-based).</summary>
    public static int LineOf(SyntaxNode node) => node.Span.Start.Line + 1;

    /// <summary>Describes a value's TOML type for "must be X, got Y" messages.</summary>
    public static string Describe(ValueSyntax value) => value switch
    {
        IntegerValueSyntax => "an integer",
        FloatValueSyntax => "a float",
        BooleanValueSyntax => "a boolean",
        StringValueSyntax => "a string",
        ArraySyntax => "an array",
        InlineTableSyntax => "an inline table",
        DateTimeValueSyntax => "a date-time",
        _ => "an unsupported value",
    };

    private static TomlEntry Entry(List<string> tablePath, KeyValueSyntax kv)
    {
        var path = new List<string>(tablePath);
        if (kv.Key is { } key)
        {
            path.AddRange(KeyParts(key));
        }

        return new TomlEntry(path, kv.Value!, LineOf(kv));
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { Text(key.Key) };
        foreach (DottedKeyItemSyntax dotted in key.DotKeys)
        {
            parts.Add(Text(dotted.Key));
        }

        return parts;
    }

    private static string Text(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };
}
