namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// An exclusive lock per lab (an flock on <c>STATE_ROOT/NAME.lock</c>, which .NET takes for FileShare.None), so two
/// <c>netsim lab</c> commands on the same lab cannot interleave their state updates. It lives next to, not in, the
/// lab directory so <c>down</c> can delete the directory while holding it.
/// </summary>
internal sealed class LabLock : IDisposable
{
    private readonly FileStream _stream;

    private LabLock(FileStream stream) => _stream = stream;

    public static LabLock Acquire(LabStateStore store, string lab)
    {
        Directory.CreateDirectory(store.StateRoot);
        string path = Path.Combine(store.StateRoot, $"{lab}.lock");
        try
        {
            return new LabLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex)
        {
            throw new LabException($"another netsim lab command is working on lab '{lab}' ({path} is locked): {ex.Message}", ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}
