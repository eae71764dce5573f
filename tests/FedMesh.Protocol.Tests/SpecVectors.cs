using System.Text.RegularExpressions;

namespace FedMesh.Protocol.Tests;

/// <summary>
/// Reads the test vectors out of SPEC.md: fenced blocks with info string "vector NAME", each line "field = value".
/// Values are hex, except for fields whose name ends in "_text".
/// </summary>
public static partial class SpecVectors
{
    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> All = new(Load);

    public static string SpecPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "SPEC.md");
                if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "FedMesh.sln")))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("SPEC.md not found above the test assembly's folder");
        }
    }

    public static IReadOnlyCollection<string> Names => All.Value.Keys.ToArray();

    /// <summary>The raw text value of a field.</summary>
    public static string Text(string vector, string field) =>
        All.Value.TryGetValue(vector, out var fields)
            ? fields.TryGetValue(field, out string? value) ? value : throw new KeyNotFoundException($"SPEC.md vector '{vector}' has no field '{field}'")
            : throw new KeyNotFoundException($"SPEC.md has no vector '{vector}'");

    /// <summary>A hex field's bytes.</summary>
    public static byte[] Bytes(string vector, string field) => Convert.FromHexString(Text(vector, field));

    private static Dictionary<string, IReadOnlyDictionary<string, string>> Load()
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(SpecPath);
        for (int i = 0; i < lines.Length; i++)
        {
            Match open = VectorOpen().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
            {
                int eq = lines[i].IndexOf(" = ", StringComparison.Ordinal);
                if (eq > 0)
                {
                    fields[lines[i][..eq].Trim()] = lines[i][(eq + 3)..].Trim();
                }
            }

            result.Add(open.Groups[1].Value, fields);
        }

        return result;
    }

    [GeneratedRegex(@"^```vector\s+(\S+)\s*$")]
    private static partial Regex VectorOpen();
}
