namespace FedMesh.Node.Data;

/// <summary>Why a file, or a single JSON line, was not turned into a document. Counted in <see cref="DataLoadReport"/>.</summary>
public enum DataSkipReason
{
    /// <summary>Not .txt, .txt.gz, .jsonl or .jsonl.gz (whole file).</summary>
    UnknownExtension,

    /// <summary>Over <see cref="DataLoadOptions.MaxFileBytes"/> or <see cref="DataLoadOptions.MaxTextFileBytes"/> (whole file).</summary>
    FileTooLarge,

    /// <summary>Decompressed beyond <see cref="DataLoadOptions.MaxDecompressedBytes"/> (whole file).</summary>
    DecompressedTooLarge,

    /// <summary>Not a valid gzip stream (whole file).</summary>
    CorruptCompression,

    /// <summary>The file could not be opened or read (permissions, vanished) (whole file).</summary>
    Unreadable,

    /// <summary>A NUL byte: binary content, not text (whole file).</summary>
    Binary,

    /// <summary>Bytes that are not UTF-8 (whole .txt file, or one JSON line).</summary>
    InvalidUtf8,

    /// <summary>No text at all, or only whitespace (whole .txt file, or a JSON line without text fields).</summary>
    Empty,

    /// <summary>A JSON line longer than <see cref="DataLoadOptions.MaxLineBytes"/> (that line).</summary>
    LineTooLong,

    /// <summary>A JSON line that is not one well-formed JSON object (that line).</summary>
    MalformedJson,

    /// <summary>A JSON line nested deeper than <see cref="DataLoadOptions.MaxJsonDepth"/> (that line).</summary>
    JsonTooDeep,

    /// <summary>The document or character budget was used up: counted once for the document that did not fit;
    /// loading stops there.</summary>
    DocumentLimitReached,

    /// <summary>More files than <see cref="DataLoadOptions.MaxFiles"/>: each file beyond the bound (whole file).</summary>
    FileLimitReached,

    /// <summary>A redaction rule hit its regex time-out: the document is dropped rather than kept unredacted.</summary>
    RedactionTimeout,
}
