using Microsoft.Win32.SafeHandles;

namespace FedMesh.Node.Storage;

/// <summary>
/// The writer's handle on a log's anchor file (<see cref="LogAnchor"/>): created with mode 0600, each update one
/// in-place write of the slot for its count's parity, not fsynced (why: see <see cref="LogAnchor"/>). One writer,
/// the log's owner; readers use <see cref="LogAnchor.Read"/>.
/// </summary>
public sealed class LogAnchorFile : IDisposable
{
    private readonly FileStream _file;

    private LogAnchorFile(FileStream file) => _file = file;

    public static LogAnchorFile Open(string path) => new(StateDirectory.OpenPrivateFile(path, FileShare.Read));

    /// <summary>Records <paramref name="anchor"/>; call only after the log up to it is durable.</summary>
    public void Write(LogAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        SafeFileHandle handle = _file.SafeFileHandle;
        RandomAccess.Write(handle, anchor.EncodeSlot(), (anchor.Count % 2) * LogAnchor.SlotBytes);
    }

    /// <summary>
    /// Records <paramref name="anchor"/> in both slots: for a count lower than one recorded before (a truncation
    /// the operator accepted), which the other slot would otherwise outrank.
    /// </summary>
    public void Reset(LogAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        byte[] slot = anchor.EncodeSlot();
        RandomAccess.Write(_file.SafeFileHandle, slot, 0);
        RandomAccess.Write(_file.SafeFileHandle, slot, LogAnchor.SlotBytes);
    }

    public void Dispose() => _file.Dispose();
}
