using System.Collections.Frozen;
using System.Globalization;

namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// How many replacements each rule made, and how many documents were dropped because a rule timed out.
/// Carries counts only: never a redacted value, so the report itself is safe to log and share.
/// </summary>
public sealed record RedactionReport
{
    public static readonly RedactionReport Empty = new()
    {
        Counts = FrozenDictionary<string, long>.Empty,
        DocumentsTimedOut = 0,
    };

    /// <summary>Replacements per rule name (see <see cref="RedactionRules"/>; custom rules as "custom:NAME",
    /// dropped JSON fields as "json-field:NAME").</summary>
    public required IReadOnlyDictionary<string, long> Counts { get; init; }

    public required long DocumentsTimedOut { get; init; }

    public long Total => Counts.Values.Sum();

    public long CountFor(string rule) => Counts.GetValueOrDefault(rule);

    /// <summary>"email=3, phone=1" (sorted by rule), or "none".</summary>
    public override string ToString()
    {
        var parts = Counts.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")).ToList();
        if (DocumentsTimedOut > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"timed-out documents={DocumentsTimedOut}"));
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
