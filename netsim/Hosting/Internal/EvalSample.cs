using System.Text;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>Pure helpers that pick what a simulated SOTU node trains on and is scored on.</summary>
internal static class EvalSample
{
    /// <summary>
    /// Equal slices from the middle of every document, <paramref name="chars"/> characters in all (at least one per
    /// document). The learner scores the first MaxEvalBytes of the concatenation, so a plain cap would score only the
    /// first (earliest) addresses; slices keep every era in the sample. The middle avoids the formulaic openings.
    /// </summary>
    public static IReadOnlyList<string> Slices(IReadOnlyList<string> documents, int chars)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chars);
        int each = Math.Max(1, chars / Math.Max(1, documents.Count));
        return documents.Select(d =>
        {
            int n = Math.Min(each, d.Length);
            return d.Substring((d.Length - n) / 2, n);
        }).ToArray();
    }

    /// <summary>UTF-8 bytes of the learner's byte stream for <paramref name="documents"/> (each plus a separator).</summary>
    public static int StreamBytes(IReadOnlyList<string> documents) =>
        documents.Sum(d => Encoding.UTF8.GetByteCount(d) + 1);
}
