using System.Collections.Frozen;
using System.Text;
using FedMesh.Node.Data.Redaction;

namespace FedMesh.Node.Data;

/// <summary>One file or line that was skipped.</summary>
/// <param name="Source">"notes/a.txt", or "chat.jsonl:17" for a line.</param>
/// <param name="Reason">Why.</param>
/// <param name="Detail">Specifics (sizes, the limit hit); never the text itself.</param>
public sealed record DataSkip(string Source, DataSkipReason Reason, string Detail)
{
    public override string ToString() => Detail.Length == 0 ? $"{Source}: {Reason}" : $"{Source}: {Reason} ({Detail})";
}

/// <summary>What a <see cref="LocalDataLoader"/> run did: documents kept, and what was skipped and why.</summary>
public sealed record DataLoadReport
{
    public required int FilesRead { get; init; }

    public required int DocumentsLoaded { get; init; }

    public required long CharactersLoaded { get; init; }

    /// <summary>Whole files skipped, per reason.</summary>
    public required IReadOnlyDictionary<DataSkipReason, int> FilesSkipped { get; init; }

    /// <summary>Single JSON lines (or documents) skipped inside files that were otherwise read, per reason.</summary>
    public required IReadOnlyDictionary<DataSkipReason, int> DocumentsSkipped { get; init; }

    /// <summary>Redactions applied to the kept documents (counts only, never the values).</summary>
    public required RedactionReport Redaction { get; init; }

    /// <summary>The first <see cref="MaxRecordedSkips"/> skips, with the file (and line) and why: what `data check` lists.</summary>
    public IReadOnlyList<DataSkip> Skips { get; init; } = [];

    /// <summary>Skips kept with their place: enough to find a systematic problem; the counts cover the rest.</summary>
    public const int MaxRecordedSkips = 100;

    public int FilesSkippedFor(DataSkipReason reason) => FilesSkipped.GetValueOrDefault(reason);

    public int DocumentsSkippedFor(DataSkipReason reason) => DocumentsSkipped.GetValueOrDefault(reason);

    /// <summary>One line for logs and the CLI, e.g. "3 files, 120 documents (1.2 M chars); skipped files: Binary=1".</summary>
    public override string ToString()
    {
        var text = new StringBuilder()
            .Append(FilesRead).Append(" files, ")
            .Append(DocumentsLoaded).Append(" documents (").Append(CharCount.Format(CharactersLoaded)).Append(')');
        Append(text, "skipped files", FilesSkipped);
        Append(text, "skipped documents", DocumentsSkipped);
        text.Append("; redactions: ").Append(Redaction);
        return text.ToString();
    }

    internal static IReadOnlyDictionary<DataSkipReason, int> Freeze(Dictionary<DataSkipReason, int> counts) =>
        counts.ToFrozenDictionary();

    private static void Append(StringBuilder text, string label, IReadOnlyDictionary<DataSkipReason, int> counts)
    {
        if (counts.Count == 0)
        {
            return;
        }

        text.Append("; ").Append(label).Append(": ")
            .AppendJoin(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
    }
}
