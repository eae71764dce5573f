using System.Text.Json;
using FedMesh.NetSim.Lab.Internal;
using FedMesh.Protocol.IO;

namespace FedMesh.NetSim.Lab;

/// <summary>Reads and writes a lab's <c>state.json</c> (atomic writes; bounded, validated reads).</summary>
public sealed class LabStateStore
{
    /// <summary>
    /// 1 MiB: a 64-node lab's state is about 40 KiB; the bound keeps a damaged or foreign file from being read
    /// whole into memory.
    /// </summary>
    public const int MaxStateBytes = 1 << 20;

    public const string StateFileName = "state.json";

    public LabStateStore(string stateRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateRoot);
        StateRoot = Path.GetFullPath(stateRoot);
    }

    public string StateRoot { get; }

    /// <summary>The lab's directory (the name must already be valid).</summary>
    public string LabDirectory(string lab) => Path.Combine(StateRoot, lab);

    public string StatePath(string lab) => Path.Combine(LabDirectory(lab), StateFileName);

    public bool Exists(string lab) => File.Exists(StatePath(lab));

    /// <summary>Writes <paramref name="state"/> atomically (temp file, fsync, rename, directory fsync).</summary>
    public void Save(LabState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        AtomicFile.Write(StatePath(state.Name), JsonSerializer.SerializeToUtf8Bytes(state, LabJsonContext.Default.LabState));
    }

    /// <summary>Reads lab <paramref name="lab"/>'s state; null when the lab has no state file.</summary>
    public LabState? TryLoad(string lab)
    {
        LabNames.Validate(lab);
        string path = StatePath(lab);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxStateBytes)
            {
                throw new LabException($"{path} is {stream.Length} bytes; a lab state file is at most {MaxStateBytes} bytes");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"{path} cannot be read: {ex.Message}", ex);
        }

        return Parse(bytes, path, lab);
    }

    /// <summary>Reads lab <paramref name="lab"/>'s state or says clearly that it is not up.</summary>
    public LabState Load(string lab) =>
        TryLoad(lab) ?? throw new LabException($"lab '{lab}' is not up (no {StatePath(lab)}); start it with `netsim lab up`");

    /// <summary>Deletes the state file (logs and configs stay until the directory is removed).</summary>
    public void Delete(string lab)
    {
        File.Delete(StatePath(lab));
        AtomicFile.FsyncDirectory(LabDirectory(lab));
    }

    internal static LabState Parse(ReadOnlySpan<byte> bytes, string path, string lab)
    {
        LabState? state;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
            state = JsonSerializer.Deserialize(ref reader, LabJsonContext.Default.LabState);
        }
        catch (JsonException ex)
        {
            throw new LabException($"{path} is not a valid lab state file: {ex.Message}", ex);
        }

        if (state is null || state.Name != lab)
        {
            throw new LabException($"{path} does not describe lab '{lab}'");
        }

        for (int i = 0; i < state.Nodes.Count; i++)
        {
            LabNode node = state.Nodes[i];
            if (node.Index != i || node.Namespace != LabNames.NodeNamespace(lab, i) || node.Faults is null || node.Argv is null)
            {
                throw new LabException($"{path}: node entry {i} is inconsistent (index, namespace or missing fields)");
            }
        }

        if (state.HubNamespace != LabNames.HubNamespace(lab) || state.Command is null || state.Command.Count == 0)
        {
            throw new LabException($"{path}: hub namespace or command is inconsistent");
        }

        return state;
    }

    /// <summary>The state nests 4 levels (state → nodes → node → faults); 16 leaves room and bounds recursion.</summary>
    private const int MaxJsonDepth = 16;
}
