namespace FedMesh.Protocol.Deltas;

/// <summary>
/// What an origin signs about one delta (SPEC.md §5.2): which mesh, model and adapter schema it belongs to,
/// who made it and when (origin key, per-origin sequence, timestamp), how its tensors are encoded, the DP
/// mechanism applied, and the BLAKE3-256 hash of every payload chunk. Encoding and decoding (canonical
/// MessagePack) are in DeltaManifest.Codec.cs.
/// </summary>
public sealed partial record DeltaManifest
{
    /// <summary>Manifest layout version (element 0); a change of layout is a new version, never extra fields.</summary>
    public const byte FormatVersion = 1;

    public required ReadOnlyMemory<byte> MeshId { get; init; }

    public required ReadOnlyMemory<byte> BaseModelHash { get; init; }

    public required ReadOnlyMemory<byte> SchemaHash { get; init; }

    /// <summary>The origin's Ed25519 public key (32 bytes): the key the signature must verify under.</summary>
    public required ReadOnlyMemory<byte> Origin { get; init; }

    /// <summary>Per-origin counter; receivers accept only a sequence newer than the last they accepted (§5.6).</summary>
    public required ulong Sequence { get; init; }

    /// <summary>Creation time, Unix milliseconds (informational; ordering is by <see cref="Sequence"/>).</summary>
    public required ulong TimestampMs { get; init; }

    public required IReadOnlyList<ManifestTensor> Tensors { get; init; }

    public required DpParameters Privacy { get; init; }

    public required int ChunkSize { get; init; }

    public required long TotalSize { get; init; }

    /// <summary>Concatenated BLAKE3-256 chunk hashes, <see cref="ChunkCount"/> × 32 bytes.</summary>
    public required ReadOnlyMemory<byte> ChunkHashes { get; init; }

    public int ChunkCount => ChunkCountFor(TotalSize, ChunkSize);

    public ReadOnlySpan<byte> ChunkHash(int index) => ChunkHashes.Span.Slice(index * DeltaLimits.HashLength, DeltaLimits.HashLength);

    /// <summary>Byte offset of chunk <paramref name="index"/> in the payload.</summary>
    public long ChunkOffset(int index) => (long)index * ChunkSize;

    /// <summary>Length of chunk <paramref name="index"/>: <see cref="ChunkSize"/>, except the last may be shorter.</summary>
    public int ChunkLength(int index) => (int)Math.Min(ChunkSize, TotalSize - ChunkOffset(index));

    /// <summary>ceil(total / chunk).</summary>
    public static int ChunkCountFor(long totalSize, int chunkSize) => (int)((totalSize + chunkSize - 1) / chunkSize);
}
