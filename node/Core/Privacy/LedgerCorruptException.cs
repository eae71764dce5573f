namespace FedMesh.Node.Privacy;

/// <summary>
/// The privacy ledger is damaged somewhere other than its last record, so what was spent cannot be known.
/// The node refuses to open it (and so to release anything) rather than guess low.
/// </summary>
public sealed class LedgerCorruptException : Exception
{
    public LedgerCorruptException(string path, long byteOffset, string reason)
        : base($"privacy ledger '{path}' is corrupt at byte offset {byteOffset}: {reason}. " +
               "Releases are refused until it is restored from a backup or inspected by hand; " +
               "deleting it would forget the privacy budget already spent.")
    {
        Path = path;
        ByteOffset = byteOffset;
        Reason = reason;
    }

    public LedgerCorruptException()
        : this(string.Empty, 0, "unknown")
    {
    }

    public LedgerCorruptException(string message)
        : base(message)
    {
        Path = string.Empty;
        Reason = message;
    }

    public LedgerCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
        Reason = message;
    }

    public string Path { get; }

    public long ByteOffset { get; }

    public string Reason { get; }
}
