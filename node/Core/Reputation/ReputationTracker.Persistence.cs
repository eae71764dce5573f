using System.Text.Json;
using FedMesh.Node.Reputation.Internal;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.IO;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Reputation;

/// <summary>Saving and loading the reputation table (atomic whole-file writes; bounded, validated reads).</summary>
public sealed partial class ReputationTracker
{
    /// <summary>File name inside the state directory.</summary>
    public const string FileName = "reputation.json";

    /// <summary>Largest file read: ~250 bytes a peer × the 1 000 000-peer option ceiling would be 250 MB, so the
    /// bound is on the file (16 MiB ≈ 60 000 peers), checked before parsing.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>Writes the table atomically (<see cref="AtomicFile"/>): a crash leaves the old or the new file.</summary>
    public void Save(string path)
    {
        ReputationFile file;
        lock (_gate)
        {
            file = new ReputationFile
            {
                Peers = _peers.OrderBy(p => p.Value.Tick).Select(p => new PeerRecord
                {
                    Id = p.Key.Value,
                    Trust = p.Value.Trust,
                    Observations = p.Value.Observations,
                    Rejections = p.Value.Rejections,
                    SignatureFailures = p.Value.SignatureFailures,
                    GateRejections = p.Value.GateRejections,
                    LastSeen = p.Value.LastSeen,
                }).ToArray(),
            };
        }

        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(file, ReputationJsonContext.Default.ReputationFile), Storage.StateDirectory.FileMode);
    }

    /// <summary>
    /// Loads a saved table; a missing file gives an empty tracker. A damaged file throws
    /// <see cref="InvalidDataException"/> naming the file and what was wrong; the caller decides whether to
    /// start afresh (every peer back to the initial trust) — this class never guesses.
    /// </summary>
    public static ReputationTracker Load(string path, ReputationOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tracker = new ReputationTracker(options, time, logger);
        if (!File.Exists(path))
        {
            return tracker;
        }

        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
        {
            throw new InvalidDataException($"reputation file '{path}' is {length} bytes, over the {MaxFileBytes}-byte limit");
        }

        ReputationFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), ReputationJsonContext.Default.ReputationFile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"reputation file '{path}' is not valid JSON: {ex.Message}", ex);
        }

        if (file is null || file.Version != 1)
        {
            throw new InvalidDataException($"reputation file '{path}' has unsupported version {file?.Version}");
        }

        var seen = new HashSet<PeerId>();
        // Oldest first, so when the saved table is larger than MaxPeers the most recently seen survive.
        for (int i = 0; i < file.Peers.Count; i++)
        {
            PeerRecord record = file.Peers[i];
            if (!PeerId.TryParse(record.Id, out PeerId id, out string error))
            {
                throw new InvalidDataException($"reputation file '{path}': peers[{i}].id: {error}");
            }

            if (!seen.Add(id))
            {
                throw new InvalidDataException($"reputation file '{path}': peers[{i}].id {id} appears twice");
            }

            if (!(record.Trust is >= 0 and <= 1))
            {
                throw new InvalidDataException($"reputation file '{path}': peers[{i}].trust must be in [0, 1], got {record.Trust}");
            }

            if (record.Observations < 0 || record.Rejections < 0 || record.SignatureFailures < 0 || record.GateRejections < 0)
            {
                throw new InvalidDataException($"reputation file '{path}': peers[{i}] has a negative counter");
            }

            tracker.Restore(id, record);
        }

        return tracker;
    }

    private void Restore(PeerId id, PeerRecord record)
    {
        lock (_gate)
        {
            Entry entry = Touch(id);
            entry.Trust = record.Trust;
            entry.Observations = record.Observations;
            entry.Rejections = record.Rejections;
            entry.SignatureFailures = record.SignatureFailures;
            entry.GateRejections = record.GateRejections;
            entry.LastSeen = record.LastSeen;
        }
    }
}
