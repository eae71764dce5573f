using FedMesh.Node.Data.Redaction;

namespace FedMesh.Node.Data.Internal;

/// <summary>
/// Mutable state of one <see cref="LocalDataLoader.Load"/> call. Documents of the file being read are added
/// provisionally; <see cref="CommitFile"/> keeps them, <see cref="RollBackFile"/> removes them (and their
/// redaction counts) when the file turns out to be bad as a whole, e.g. a NUL byte or a decompression bomb late
/// in a .jsonl.gz.
/// </summary>
/// <param name="cancellation">Checked before each document, so a stop request waits for at most one document's
/// redaction (bounded by the regex time-out), not for the rest of a file.</param>
internal sealed class LoadRun(DataLoadOptions options, CancellationToken cancellation = default)
{
    public CancellationToken Cancellation => cancellation;

    private readonly Dictionary<DataSkipReason, int> _filesSkipped = [];
    private readonly Dictionary<DataSkipReason, int> _documentsSkipped = [];
    private readonly List<DataSkip> _skips = [];
    private readonly RedactionTally _tally = new();
    private RedactionTally _fileTally = new();
    private int _fileStart;
    private long _fileStartChars;
    private int _filesRead;

    public List<LocalDocument> Documents { get; } = [];

    public long Characters { get; private set; }

    /// <summary>True once the document or character budget is used up; loading stops.</summary>
    public bool Full { get; private set; }

    public RedactionTally FileTally => _fileTally;

    public void BeginFile()
    {
        _fileStart = Documents.Count;
        _fileStartChars = Characters;
        _fileTally = new RedactionTally();
    }

    public void CommitFile()
    {
        _filesRead++;
        Merge(_fileTally, _tally);
    }

    public void RollBackFile(DataSkipReason reason, string source, string detail)
    {
        Documents.RemoveRange(_fileStart, Documents.Count - _fileStart);
        Characters = _fileStartChars;

        // Time-outs are kept: they say a document was dropped, whichever file it came from.
        _tally.AddTimeout(_fileTally.DocumentsTimedOut);

        SkipFile(reason, source, detail);
    }

    public void SkipFile(DataSkipReason reason, string source, string detail)
    {
        _filesSkipped[reason] = _filesSkipped.GetValueOrDefault(reason) + 1;
        Record(reason, source, detail);
    }

    public void SkipDocument(DataSkipReason reason, string source, string detail)
    {
        _documentsSkipped[reason] = _documentsSkipped.GetValueOrDefault(reason) + 1;
        Record(reason, source, detail);
    }

    /// <summary>Adds a redacted document if the budgets allow; otherwise marks the run full and returns false.</summary>
    public bool TryAdd(LocalDocument document)
    {
        if (Documents.Count >= options.MaxDocuments || Characters + document.Text.Length > options.MaxTotalChars)
        {
            Full = true;
            SkipDocument(DataSkipReason.DocumentLimitReached, document.Source, $"{options.MaxDocuments} documents or {options.MaxTotalChars} characters loaded");
            return false;
        }

        Documents.Add(document);
        Characters += document.Text.Length;
        return true;
    }

    public LocalDataSet ToDataSet() => new(
        Documents.ToArray(),
        new DataLoadReport
        {
            FilesRead = _filesRead,
            DocumentsLoaded = Documents.Count,
            CharactersLoaded = Characters,
            FilesSkipped = DataLoadReport.Freeze(_filesSkipped),
            DocumentsSkipped = DataLoadReport.Freeze(_documentsSkipped),
            Redaction = _tally.ToReport(),
            Skips = _skips.ToArray(),
        });

    /// <summary>Keeps the first <see cref="DataLoadReport.MaxRecordedSkips"/> skips with where they were; the counts
    /// above stay complete, so a folder of a million bad lines costs no more memory than a hundred.</summary>
    private void Record(DataSkipReason reason, string source, string detail)
    {
        if (_skips.Count < DataLoadReport.MaxRecordedSkips)
        {
            _skips.Add(new DataSkip(source, reason, detail));
        }
    }

    private static void Merge(RedactionTally from, RedactionTally into)
    {
        foreach (var (rule, count) in from.ToReport().Counts)
        {
            into.Add(rule, count);
        }

        into.AddTimeout(from.DocumentsTimedOut);
    }
}
