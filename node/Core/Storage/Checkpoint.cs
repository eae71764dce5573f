namespace FedMesh.Node.Storage;

/// <summary>An adapter checkpoint read back intact: the opaque payload (safetensors from the learner) and its metadata.</summary>
public sealed record Checkpoint(
    long Round,
    DateTimeOffset Created,
    IReadOnlyDictionary<string, string> Metadata,
    byte[] Payload,
    string Path);

/// <summary>A checkpoint file that could not be used, and why (truncated, checksum mismatch, …).</summary>
public sealed record SkippedCheckpoint(string Path, string Reason);

/// <summary>
/// What <see cref="CheckpointStore.LoadLatest"/> found: the newest intact checkpoint (null when there is none) and
/// the newer files it had to skip, so the caller can report which checkpoint it resumed from and why.
/// </summary>
public sealed record CheckpointLoadResult(Checkpoint? Loaded, IReadOnlyList<SkippedCheckpoint> Skipped);
