using System.Text;
using FedMesh.Node.Configuration;
using FedMesh.Node.Storage;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Membership;

/// <summary>
/// The closed-mesh allowlist: the peer ids of <c>network.allowlist</c> (managed with the configuration) together
/// with those <c>fedmesh trust add</c> keeps in <see cref="StatePaths.Allowlist"/> (managed on the node). This is
/// the one place both are read: <c>run</c> admits exactly <see cref="Load"/>'s ids, and <c>trust list</c> prints them.
/// </summary>
public static class Allowlist
{
    /// <summary>Largest allowlist file read: 64-character ids, so 1 MiB is ~15 000 peers, far past any mesh.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>Every admitted id: <c>network.allowlist</c> first, then the state directory's file, without repeats.</summary>
    /// <exception cref="InvalidDataException">The allowlist file has a line that is not a peer id (named with its line).</exception>
    public static IReadOnlyList<string> Load(NodeOptions options, StatePaths paths)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        return options.Network.Allowlist.Concat(ReadFile(paths.Allowlist)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The ids of an allowlist file (absent = none). Blank lines and <c>#</c> comments are skipped; any other line
    /// that is not a peer id is an error: silently skipping it would lock a listed peer out with no trace.
    /// </summary>
    public static IReadOnlyList<string> ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        if (new FileInfo(path).Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{path}: larger than {MaxFileBytes} bytes; it is not an allowlist");
        }

        var ids = new List<string>();
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!Protocol.Identity.PeerId.TryParse(line, out _, out string error))
            {
                throw new InvalidDataException($"{path}:{number}: not a peer id ({error})");
            }

            ids.Add(line);
        }

        return ids;
    }

    /// <summary>Atomically replaces the allowlist file with <paramref name="ids"/>, one per line (mode 0600).</summary>
    public static void WriteFile(string path, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        AtomicFile.Write(path, Encoding.ASCII.GetBytes(string.Concat(ids.Select(i => i + "\n"))), StateDirectory.FileMode);
    }
}
