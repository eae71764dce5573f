using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace FedMesh.Node.Discovery.Internal;

/// <summary>
/// A dedicated thread that has entered a network namespace with setns(2) (namespaces are per thread on Linux), on
/// which work that depends on the namespace runs: creating sockets (a socket stays in the namespace it was created
/// in) and enumerating interfaces. Nothing else ever runs on it, so the rest of the process is unaffected.
/// </summary>
internal sealed partial class NetworkNamespaceThread : IDisposable
{
    /// <summary>CLONE_NEWNET from linux/sched.h: setns accepts only a network namespace fd.</summary>
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NetworkNamespaceThread(string namespacePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(namespacePath);
        _thread = new Thread(() => Run(namespacePath)) { IsBackground = true, Name = "netns " + Path.GetFileName(namespacePath) };
        _thread.Start();
    }

    /// <summary>Completes once the thread is in the namespace; faults with the reason if it could not enter it.</summary>
    public Task Entered => _entered.Task;

    public async Task<T> RunAsync<T>(Func<T> work)
    {
        await Entered.ConfigureAwait(false);
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                try
                {
                    result.SetResult(work());
                }
                catch (Exception e)
                {
                    result.SetException(e);
                }
            });
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(NetworkNamespaceThread));
        }

        return await result.Task.ConfigureAwait(false);
    }

    public void Dispose() => _work.CompleteAdding();

    private void Run(string path)
    {
        // open(2)/setns(2) directly: FileStream refuses nsfs files (they are neither regular files nor devices).
        int fd = open(path, OpenReadOnlyCloseOnExec);
        if (fd < 0)
        {
            _entered.SetException(new IOException($"cannot open network namespace {path}: errno {Marshal.GetLastPInvokeError()}"));
            return;
        }

        int rc = setns(fd, CloneNewNet);
        int errno = Marshal.GetLastPInvokeError();
        _ = close(fd);
        if (rc != 0)
        {
            _entered.SetException(new IOException($"setns({path}) failed with errno {errno} (root or CAP_SYS_ADMIN needed)"));
            return;
        }

        _entered.SetResult();
        foreach (Action action in _work.GetConsumingEnumerable())
        {
            action();
        }

        _work.Dispose();
    }

    /// <summary>O_RDONLY | O_CLOEXEC (asm-generic/fcntl.h): the fd must not leak into child processes.</summary>
    private const int OpenReadOnlyCloseOnExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
