using System.Globalization;
using Tomlyn.Syntax;

namespace FedMesh.Node.Configuration.Internal;

/// <summary>Turns a TOML value or an environment string into the boxed value a <see cref="ConfigKey"/> takes.</summary>
internal static class ValueConverter
{
    /// <summary>Returns the value, or null with <paramref name="problem"/> naming the expected and actual types.</summary>
    internal static object? FromToml(ConfigKey key, ValueSyntax value, out string? problem)
    {
        problem = null;
        switch (key.Kind, value)
        {
            case (ConfigValueKind.Integer, IntegerValueSyntax i):
                return i.Value;
            case (ConfigValueKind.Float, FloatValueSyntax f):
                return f.Value;
            case (ConfigValueKind.Float, IntegerValueSyntax i):
                // "lr = 1" means 1.0; TOML has no implicit conversion but nobody wants "must be a float, got 1".
                return (double)i.Value;
            case (ConfigValueKind.Boolean, BooleanValueSyntax b):
                return b.Value;
            case (ConfigValueKind.String, StringValueSyntax s):
                return s.Value ?? string.Empty;
            case (ConfigValueKind.StringList, ArraySyntax array):
                var list = new List<string>();
                foreach (ArrayItemSyntax item in array.Items)
                {
                    if (item.Value is not StringValueSyntax s)
                    {
                        problem = $"must be an array of strings, got an array containing {TomlEntries.Describe(item.Value!)}";
                        return null;
                    }

                    list.Add(s.Value ?? string.Empty);
                }

                return list;
            default:
                problem = $"must be {Expected(key.Kind)}, got {TomlEntries.Describe(value)}";
                return null;
        }
    }

    /// <summary>
    /// Parses an environment override. Integers and floats use the invariant culture, booleans are true/false,
    /// lists are comma-separated (an empty string is an empty list).
    /// </summary>
    internal static object? FromEnvironment(ConfigKey key, string text, out string? problem)
    {
        problem = null;
        string trimmed = text.Trim();
        switch (key.Kind)
        {
            case ConfigValueKind.Integer when long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l):
                return l;
            case ConfigValueKind.Float when double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double d):
                return d;
            case ConfigValueKind.Boolean when bool.TryParse(trimmed, out bool b):
                return b;
            case ConfigValueKind.String:
                return text;
            case ConfigValueKind.StringList:
                return trimmed.Length == 0
                    ? new List<string>()
                    : trimmed.Split(',', StringSplitOptions.TrimEntries).ToList();
            default:
                problem = $"must be {Expected(key.Kind)}, got \"{(text.Length <= 80 ? text : text[..77] + "...")}\"";
                return null;
        }
    }

    private static string Expected(ConfigValueKind kind) => kind switch
    {
        ConfigValueKind.Integer => "an integer",
        ConfigValueKind.Float => "a number",
        ConfigValueKind.Boolean => "true or false",
        ConfigValueKind.String => "a string",
        _ => "an array of strings",
    };
}
