using FedMesh.Node.Data.Internal;
using FedMesh.Node.Data.Redaction;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Data;

/// <summary>
/// Loads a node's private data folder into redacted training documents.
/// <list type="bullet">
/// <item><c>*.txt</c>, <c>*.txt.gz</c>: one document per file (UTF-8, optional BOM).</item>
/// <item><c>*.jsonl</c>, <c>*.jsonl.gz</c>: one document per line, a JSON object with a <c>text</c> field, or
/// <c>prompt</c> and <c>completion</c> joined by a newline (see <see cref="DataLoadOptions"/>); blank lines are ignored.</item>
/// </list>
/// Files are read in ordinal order of their relative path, line by line (a file is never read whole except a
/// .txt document, which is bounded by <see cref="DataLoadOptions.MaxTextFileBytes"/>). Hidden files (dot-files) and
/// symbolic links are not followed. Anything bad is skipped — the whole file or the single line — and counted in
/// the <see cref="DataLoadReport"/>; nothing in the folder can make <see cref="Load"/> throw.
/// <para>
/// Where redaction sits: every document passes <see cref="Redactor.TryRedact"/> inside the loader, and JSON fields
/// on the drop list are skipped while parsing, before any text is extracted. The loader returns only redacted
/// text and writes nothing to disk, so the trainer, the token cache and every other consumer downstream only ever
/// see redacted documents; a document whose redaction timed out is dropped.
/// </para>
/// </summary>
public sealed partial class LocalDataLoader
{
    private readonly DataLoadOptions _options;
    private readonly Redactor _redactor;
    private readonly ILogger _logger;

    public LocalDataLoader(DataLoadOptions options, Redactor redactor, ILogger<LocalDataLoader>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redactor);
        _options = options;
        _redactor = redactor;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Loads every supported file under <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder itself does not exist (a configuration error).</exception>
    public LocalDataSet Load(string folder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"data folder '{root}' does not exist");
        }

        var run = new LoadRun(_options, cancellationToken);
        foreach (string path in ListFiles(root, run))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (run.Full)
            {
                break;
            }

            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            run.BeginFile();
            var failure = ReadFile(path, relative, run);
            if (failure is { } reason)
            {
                run.RollBackFile(reason.Reason, relative, reason.Detail);
                Log.FileSkipped(_logger, relative, reason.Reason, reason.Detail);
            }
            else
            {
                run.CommitFile();
            }
        }

        var data = run.ToDataSet();
        Log.DataLoaded(_logger, root, data.Report);
        return data;
    }

    /// <summary>Supported files, sorted; files beyond <see cref="DataLoadOptions.MaxFiles"/> are counted, not read.</summary>
    private List<string> ListFiles(string root, LoadRun run)
    {
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            MaxRecursionDepth = _options.MaxFolderDepth,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint | FileAttributes.Device,
            ReturnSpecialDirectories = false,
        };
        var files = new List<string>();
        foreach (string path in Directory.EnumerateFiles(root, "*", enumeration))
        {
            if (files.Count >= _options.MaxFiles)
            {
                run.SkipFile(DataSkipReason.FileLimitReached, Path.GetRelativePath(root, path), $"more than {_options.MaxFiles} files");
                continue;
            }

            files.Add(path);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Null when the file was read (possibly with single lines skipped), else why it is skipped as a whole.</summary>
    private (DataSkipReason Reason, string Detail)? ReadFile(string path, string relative, LoadRun run)
    {
        var format = FileFormatOf(path);
        if (format is null)
        {
            return (DataSkipReason.UnknownExtension, Path.GetExtension(path));
        }

        try
        {
            long size = new FileInfo(path).Length;
            if (size > _options.MaxFileBytes)
            {
                return (DataSkipReason.FileTooLarge, $"{size} bytes > {_options.MaxFileBytes}");
            }

            // Checked before opening: FIFOs and devices report 0 bytes, and opening one could block the load forever.
            if (size == 0)
            {
                return (DataSkipReason.Empty, "0 bytes");
            }

            using var stream = OpenContent(path, format.Value.Compressed);
            return format.Value.Lines ? ReadJsonLines(stream, relative, run)
                : ReadTextDocument(stream, format.Value.Compressed ? 0 : size, relative, run);
        }
        catch (ReadLimitExceededException ex)
        {
            return (DataSkipReason.DecompressedTooLarge, ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return (DataSkipReason.CorruptCompression, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (DataSkipReason.Unreadable, ex.Message);
        }
    }

    private Stream OpenContent(string path, bool compressed)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (!compressed)
        {
            return file;
        }

        return new BoundedReadStream(new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress), _options.MaxDecompressedBytes);
    }

    private static (bool Lines, bool Compressed)? FileFormatOf(string path)
    {
        string name = Path.GetFileName(path);
        return name switch
        {
            _ when name.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase) => (true, true),
            _ when name.EndsWith(".txt.gz", StringComparison.OrdinalIgnoreCase) => (false, true),
            _ when name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) => (true, false),
            _ when name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) => (false, false),
            _ => null,
        };
    }

    /// <summary>Redacts and adds one document; false when loading must stop (budget used up).</summary>
    private bool Add(string source, string text, LoadRun run)
    {
        run.Cancellation.ThrowIfCancellationRequested();
        if (!_redactor.TryRedact(text, run.FileTally, out string redacted))
        {
            run.SkipDocument(DataSkipReason.RedactionTimeout, source, "a redaction rule exceeded its time-out");
            Log.RedactionTimedOut(_logger, source);
            return true;
        }

        if (!run.TryAdd(new LocalDocument(source, redacted)))
        {
            Log.LimitReached(_logger, source, $"{_options.MaxDocuments} documents or {_options.MaxTotalChars} characters");
            return false;
        }

        return true;
    }
}
