using System.Text;
using FedMesh.Protocol.IO;

namespace FedMesh.Protocol.Identity;

/// <summary>
/// The node key file (SPEC.md §1.3): one ASCII line <c>fedmesh-ed25519-v1 &lt;64 lowercase hex of the seed&gt;</c>
/// and a newline. Written atomically with mode 0600; a file that group or others may read is refused on load,
/// because a leaked key lets anyone impersonate the node and sign deltas in its name (the OpenSSH rule).
/// </summary>
public static class KeyFile
{
    /// <summary>Line prefix: names the algorithm and the format version.</summary>
    public const string Prefix = "fedmesh-ed25519-v1 ";

    /// <summary>Owner read/write only.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A valid file is 84 bytes; anything beyond 4 KiB is not a key file and is not read.</summary>
    private const long MaxFileBytes = 4096;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Generates a key and writes it to <paramref name="path"/>; refuses to overwrite unless asked.</summary>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false.</exception>
    public static NodeIdentity Create(string path, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!overwrite && File.Exists(path))
        {
            throw new IOException($"key file '{path}' already exists (use --force to replace it; the old identity is lost)");
        }

        NodeIdentity identity = NodeIdentity.Create();
        try
        {
            Save(path, identity);
            return identity;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>Writes an identity's seed to <paramref name="path"/> atomically, mode 0600.</summary>
    public static void Save(string path, NodeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        byte[] seed = identity.ExportSeed();
        byte[] content = Encoding.ASCII.GetBytes(Prefix + Convert.ToHexStringLower(seed) + "\n");
        try
        {
            AtomicFile.Write(path, content, Mode);
        }
        finally
        {
            Array.Clear(seed);
            Array.Clear(content);
        }
    }

    /// <summary>Loads a key file, checking its permissions first.</summary>
    /// <exception cref="KeyFileException">Missing, too permissive or malformed; the message names path and problem.</exception>
    public static NodeIdentity Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new KeyFileException($"key file '{path}' does not exist (create one with `fedmesh keygen --out {path}`)");
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = info.UnixFileMode;
            if ((mode & GroupOrOther) != 0)
            {
                throw new KeyFileException(
                    $"key file '{path}' has mode {FormatMode(mode)} and is accessible by group or others; run `chmod 600 {path}`");
            }
        }

        if (info.Length > MaxFileBytes)
        {
            throw new KeyFileException($"key file '{path}' is {info.Length} bytes, not a key file (at most {MaxFileBytes})");
        }

        byte[] raw = File.ReadAllBytes(path);
        try
        {
            return Parse(path, raw);
        }
        finally
        {
            Array.Clear(raw);
        }
    }

    private static NodeIdentity Parse(string path, byte[] raw)
    {
        string text = Encoding.ASCII.GetString(raw).TrimEnd('\n', '\r');
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new KeyFileException($"key file '{path}' does not start with '{Prefix.TrimEnd()}'");
        }

        string hex = text[Prefix.Length..];
        if (hex.Length != NodeIdentity.SeedLength * 2 || !hex.All(Uri.IsHexDigit))
        {
            throw new KeyFileException($"key file '{path}' must hold {NodeIdentity.SeedLength * 2} hex digits after the prefix");
        }

        byte[] seed = Convert.FromHexString(hex);
        try
        {
            return NodeIdentity.FromSeed(seed);
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    /// <summary>Octal mode, e.g. 0644.</summary>
    public static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}

/// <summary>A key file is missing, too permissive or malformed.</summary>
public sealed class KeyFileException : Exception
{
    public KeyFileException(string message)
        : base(message)
    {
    }

    public KeyFileException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public KeyFileException()
    {
    }
}
