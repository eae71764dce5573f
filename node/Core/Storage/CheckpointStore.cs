using System.Globalization;
using System.Text.RegularExpressions;
using FedMesh.Node.Configuration;
using FedMesh.Node.Storage.Internal;
using FedMesh.Protocol.IO;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Storage;

/// <summary>
/// Adapter checkpoints in one folder, one self-checking file per round (<c>round-000000000042.ckpt</c>), written
/// atomically (<see cref="AtomicFile"/>) and pruned to the newest <see cref="CheckpointSection.Keep"/>. Loading
/// walks from the newest round down and skips any file that is truncated or fails its SHA-256, logging why.
/// Not thread-safe: one owner (the round loop) saves and loads; the state directory lock excludes other processes.
/// </summary>
public sealed partial class CheckpointStore
{
    private const string Prefix = "round-";
    private const string Extension = ".ckpt";

    private readonly string _directory;
    private readonly CheckpointSection _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CheckpointStore(string directory, CheckpointSection options, TimeProvider time, ILogger<CheckpointStore> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _options = options;
        _time = time;
        _logger = logger;
        StateDirectory.EnsurePrivateDirectory(_directory, _logger);
        RemoveInterruptedWrites();
    }

    /// <summary>Largest file read back: the configured payload limit plus the frame and the header limit.</summary>
    private long MaxFileBytes => ((long)_options.MaxSizeMiB << 20) + CheckpointFormat.Overhead + CheckpointFormat.MaxHeaderBytes;

    /// <summary>Atomically writes the checkpoint of <paramref name="round"/> (replacing one of the same round) and prunes old ones.</summary>
    public string Save(long round, ReadOnlySpan<byte> payload, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        if (payload.Length > (long)_options.MaxSizeMiB << 20)
        {
            throw new ArgumentException($"checkpoint payload is {payload.Length} bytes; checkpoints.max_size_mib allows {_options.MaxSizeMiB} MiB", nameof(payload));
        }

        byte[] file = CheckpointFormat.Encode(round, _time.GetUtcNow(), metadata ?? new Dictionary<string, string>(), payload);
        string path = PathOf(round);
        AtomicFile.Write(path, file, StateDirectory.FileMode);
        Log.CheckpointSaved(_logger, round, path, payload.Length);
        Prune();
        return path;
    }

    /// <summary>Rounds that have a checkpoint file (intact or not), newest first.</summary>
    public IReadOnlyList<long> Rounds() =>
        Directory.EnumerateFiles(_directory, Prefix + "*" + Extension)
            .Select(p => FilePattern().Match(Path.GetFileName(p)))
            .Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture))
            .OrderDescending()
            .ToList();

    /// <summary>The newest intact checkpoint, falling back past corrupt or truncated ones (each logged with the reason).</summary>
    public CheckpointLoadResult LoadLatest()
    {
        var skipped = new List<SkippedCheckpoint>();
        foreach (long round in Rounds())
        {
            string path = PathOf(round);
            Checkpoint? checkpoint = TryRead(path, out string? problem);
            if (checkpoint is not null && checkpoint.Round != round)
            {
                problem = $"holds round {checkpoint.Round} but is named for round {round}";
                checkpoint = null;
            }

            if (checkpoint is null)
            {
                string reason = problem ?? "unreadable";
                Log.CheckpointSkipped(_logger, path, reason);
                skipped.Add(new SkippedCheckpoint(path, reason));
                continue;
            }

            Log.CheckpointLoaded(_logger, round, path);
            return new CheckpointLoadResult(checkpoint, skipped);
        }

        return new CheckpointLoadResult(null, skipped);
    }

    private Checkpoint? TryRead(string path, out string? problem)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
            {
                problem = $"is {stream.Length} bytes, more than checkpoints.max_size_mib allows";
                return null;
            }

            byte[] bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return CheckpointFormat.Decode(bytes, path, out problem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read: {ex.Message}";
            return null;
        }
    }

    private void Prune()
    {
        foreach (long round in Rounds().Skip(_options.Keep))
        {
            string path = PathOf(round);
            File.Delete(path);
            Log.CheckpointPruned(_logger, path, _options.Keep);
        }

        AtomicFile.FsyncDirectory(_directory);
    }

    /// <summary>
    /// Deletes AtomicFile temp files (".round-….tmp") left by a crash mid-write. Safe because the state directory
    /// lock guarantees no other writer; the previous checkpoint is untouched by a torn write.
    /// </summary>
    private void RemoveInterruptedWrites()
    {
        foreach (string temp in Directory.EnumerateFiles(_directory, "." + Prefix + "*.tmp"))
        {
            File.Delete(temp);
            Log.StaleTempRemoved(_logger, temp);
        }
    }

    private string PathOf(long round) => Path.Combine(_directory, $"{Prefix}{round.ToString("D12", CultureInfo.InvariantCulture)}{Extension}");

    [GeneratedRegex(@"^round-(\d{12,19})\.ckpt$", RegexOptions.CultureInvariant)]
    private static partial Regex FilePattern();
}
