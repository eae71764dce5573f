using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Storage;

/// <summary>
/// A node's state directory, created with mode 0700 and held with an exclusive lock for the lifetime of this
/// object, so two daemons can never write one directory's ledgers and checkpoints at the same time. Every file the
/// daemon writes in it is created with mode 0600 (<see cref="FileMode"/>); files left readable by others (by an
/// older version, or copied in) are tightened to owner-only when the directory is opened.
/// </summary>
/// <remarks>
/// The lock is a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>, which .NET on Linux implements
/// with <c>flock(LOCK_EX | LOCK_NB)</c>: the kernel drops it when the process dies, so a crash never leaves a
/// stale lock behind (unlike a pid file).
/// </remarks>
public sealed class StateDirectory : IDisposable
{
    /// <summary>Owner-only: the directory holds the private identity key and private training state.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner read/write, for files inside the directory.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FileStream _lock;

    private StateDirectory(StatePaths paths, FileStream lockStream)
    {
        Paths = paths;
        _lock = lockStream;
    }

    public StatePaths Paths { get; }

    public string Root => Paths.Root;

    /// <summary>
    /// Creates (if needed) and locks <paramref name="root"/> and its <c>checkpoints/</c> folder, tightening their
    /// mode to 0700. Throws <see cref="StateDirectoryException"/> with a clear message when another process holds
    /// the lock or the directory cannot be created or secured.
    /// </summary>
    public static StateDirectory Open(string root, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        logger ??= NullLogger.Instance;
        var paths = new StatePaths(Path.GetFullPath(root));
        EnsurePrivateDirectory(paths.Root, logger);

        FileStream lockStream;
        try
        {
            lockStream = OpenPrivateFile(paths.Lock, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new StateDirectoryException(
                $"state directory {paths.Root} is in use by another fedmesh process (its lock file {paths.Lock} is held); " +
                "stop that process or use a different node.state_dir", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StateDirectoryException($"cannot open the lock file {paths.Lock}: {ex.Message}", ex);
        }

        try
        {
            // The pid is informational (for people looking at the directory); the flock is what excludes.
            lockStream.SetLength(0);
            lockStream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            lockStream.Flush(flushToDisk: true);
            EnsurePrivateDirectory(paths.Checkpoints, logger);
        }
        catch
        {
            lockStream.Dispose();
            throw;
        }

        Log.StateDirectoryLocked(logger, paths.Root);
        return new StateDirectory(paths, lockStream);
    }

    /// <summary>
    /// Opens (creating if needed) a file of the state directory for reading and writing; a new file gets
    /// <see cref="FileMode"/> (0600) from the start, so it is never readable by others, not even for an instant.
    /// </summary>
    public static FileStream OpenPrivateFile(string path, FileShare share)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return new FileStream(path, options);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// Creates <paramref name="path"/> if needed and sets it to 0700, and takes group and other permissions off the
    /// files directly inside it (Unix; Windows keeps its ACLs).
    /// </summary>
    internal static void EnsurePrivateDirectory(string path, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        try
        {
            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path, DirectoryMode);
            }

            // CreateDirectory's mode is filtered by the umask, and an existing directory may be too open.
            UnixFileMode mode = File.GetUnixFileMode(path);
            if (mode != DirectoryMode)
            {
                File.SetUnixFileMode(path, DirectoryMode);
                if ((mode & ~DirectoryMode) != 0)
                {
                    Log.StateDirectoryTightened(logger, path, Convert.ToString((int)mode, 8));
                }
            }

            TightenFiles(path, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateDirectoryException($"cannot create or secure the state directory {path} (mode 0700): {ex.Message}", ex);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void TightenFiles(string directory, ILogger logger)
    {
        const UnixFileMode OthersAndGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        // Regular files only, not followed through links: a symlink's own mode means nothing, and chmod would
        // change whatever it points to.
        var enumeration = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, RecurseSubdirectories = false };
        foreach (string file in Directory.EnumerateFiles(directory, "*", enumeration))
        {
            UnixFileMode mode = File.GetUnixFileMode(file);
            if ((mode & OthersAndGroup) != 0)
            {
                File.SetUnixFileMode(file, mode & ~OthersAndGroup);
                Log.StateFileTightened(logger, file, Convert.ToString((int)mode, 8));
            }
        }
    }
}
