namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// Running counts for one load (not thread-safe: one tally per loader run). <see cref="ToReport"/> freezes them.
/// </summary>
public sealed class RedactionTally
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long DocumentsTimedOut { get; private set; }

    public void Add(string rule, long count = 1)
    {
        if (count > 0)
        {
            _counts[rule] = _counts.GetValueOrDefault(rule) + count;
        }
    }

    public void AddTimeout(long count = 1) => DocumentsTimedOut += Math.Max(0, count);

    public RedactionReport ToReport() => new()
    {
        Counts = System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(_counts, StringComparer.Ordinal),
        DocumentsTimedOut = DocumentsTimedOut,
    };
}
