namespace FedMesh.Node.Data;

/// <summary>
/// Bounds and field names for <see cref="LocalDataLoader"/>. Every limit exists because the data folder is
/// untrusted input (a user may drop anything in it); each is checked before the bytes it guards are parsed.
/// </summary>
public sealed record DataLoadOptions
{
    public static readonly DataLoadOptions Default = new();

    /// <summary>
    /// Largest file read, as stored on disk (compressed size for .gz). 256 MiB: far above any text corpus a node
    /// fine-tunes a LoRA adapter on in one go (all of SOTU is 10.7 M characters), small enough to stop a
    /// misplaced disk image or database dump from being streamed through the parser.
    /// </summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Largest decompressed size of one .gz file. 1 GiB: text compresses about 3–4×, so a legitimate file under
    /// <see cref="MaxFileBytes"/> stays below it, while a decompression bomb is cut off.
    /// </summary>
    public long MaxDecompressedBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Longest JSON Lines record in bytes. 4 MiB: the longest SOTU address is 217 k characters, a whole novel is
    /// about 1.2 MB; a longer single line is almost certainly not one document.
    /// </summary>
    public int MaxLineBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Largest .txt document in bytes (one file is one document). 16 MiB: about ten novels.</summary>
    public int MaxTextFileBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Documents kept in total; later ones are counted as <see cref="DataSkipReason.DocumentLimitReached"/>.
    /// One million: a LoRA fine-tune on one node will not see more in a round, and the list stays in memory.</summary>
    public int MaxDocuments { get; init; } = 1_000_000;

    /// <summary>Characters kept in total (UTF-16 code units). 512 M: about 1 GiB of strings, the memory a node
    /// can spend on its corpus on a small machine; later documents are counted as a limit skip.</summary>
    public long MaxTotalChars { get; init; } = 512L * 1024 * 1024;

    /// <summary>Files looked at (of any extension). 100 000: enumerating more is a misconfigured folder.</summary>
    public int MaxFiles { get; init; } = 100_000;

    /// <summary>Sub-folder depth searched. 16: deep enough for any sane layout, bounded against pathological trees.</summary>
    public int MaxFolderDepth { get; init; } = 16;

    /// <summary>
    /// Deepest object/array nesting accepted in a JSON line. 16: the supported records are flat objects; the bound
    /// stops deeply nested input (a classic parser stack / CPU attack) before parsing.
    /// </summary>
    public int MaxJsonDepth { get; init; } = 16;

    /// <summary>JSON field holding a whole document (the de-facto convention of LM corpora).</summary>
    public string TextField { get; init; } = "text";

    /// <summary>JSON field holding an instruction/prompt (the OpenAI fine-tuning convention).</summary>
    public string PromptField { get; init; } = "prompt";

    /// <summary>JSON field holding the answer to <see cref="PromptField"/>.</summary>
    public string CompletionField { get; init; } = "completion";

    /// <summary>
    /// Joins prompt and completion into one document: "prompt\ncompletion". A newline is what a byte-level model
    /// sees between a question and its answer in ordinary text, so no special token is needed. Used only when a
    /// record has no <see cref="TextField"/>; a record with only one of the two uses that one alone.
    /// </summary>
    public string PromptCompletionSeparator { get; init; } = "\n";
}
