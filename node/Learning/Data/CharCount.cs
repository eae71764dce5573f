using System.Globalization;

namespace FedMesh.Node.Data;

/// <summary>Human-readable character counts for reports and the demo ("1.9 M chars").</summary>
public static class CharCount
{
    /// <summary>"950 chars", "12.3 k chars", "1.9 M chars" (decimal SI prefixes, one decimal).</summary>
    public static string Format(long chars) => chars switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{chars} chars"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{chars / 1e3:0.#} k chars"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{chars / 1e6:0.#} M chars"),
    };
}
