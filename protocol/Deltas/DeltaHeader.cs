namespace FedMesh.Protocol.Deltas;

/// <summary>The origin's choices for one delta that are not derived from the payload (inputs to <see cref="SignedDelta.Create"/>).</summary>
public sealed record DeltaHeader
{
    public required ReadOnlyMemory<byte> MeshId { get; init; }

    public required ReadOnlyMemory<byte> BaseModelHash { get; init; }

    public required AdapterSchema Schema { get; init; }

    /// <summary>Must exceed every sequence this origin used before (persist it; §5.6).</summary>
    public required ulong Sequence { get; init; }

    /// <summary>Creation time (from the node's TimeProvider), stored as Unix milliseconds.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public required DpParameters Privacy { get; init; }

    /// <summary>Defaults to <see cref="DeltaLimits.DefaultChunkSize"/> (reason there).</summary>
    public int ChunkSize { get; init; } = DeltaLimits.DefaultChunkSize;
}
