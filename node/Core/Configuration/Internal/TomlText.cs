using System.Globalization;
using System.Text;

namespace FedMesh.Node.Configuration.Internal;

/// <summary>TOML literals for the values configuration keys take (TOML 1.0 §String, §Float, §Array).</summary>
internal static class TomlText
{
    internal static string Value(object value) => value switch
    {
        string s => String(s),
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        float f => Float(f),
        IEnumerable<string> list => "[" + string.Join(", ", list.Select(String)) + "]",
        _ => throw new ArgumentException($"no TOML form for a {value.GetType().Name}", nameof(value)),
    };

    /// <summary>A basic string: quotes, backslashes and control characters escaped.</summary>
    internal static string String(string s)
    {
        var text = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '\t' => text.Append("\\t"),
                '\r' => text.Append("\\r"),
                _ when char.IsControl(c) => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => text.Append(c),
            };
        }

        return text.Append('"').ToString();
    }

    /// <summary>Round-trip float text; TOML requires a '.' or exponent, so whole numbers get ".0".</summary>
    internal static string Float(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        string text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny('.', 'E', 'e') >= 0 ? text : text + ".0";
    }
}
