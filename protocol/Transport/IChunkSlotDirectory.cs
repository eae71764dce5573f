namespace FedMesh.Protocol.Transport;

/// <summary>
/// What a connection's read loop asks which <see cref="IChunkSlots"/> a DeltaChunk may be decrypted into
/// (<see cref="SecureConnection.ChunkSlots"/>): one <see cref="Deltas.DeltaAssembler"/> (which answers for its own
/// delta only), or a node's router over every delta it is assembling. The frame keeps the slots it was placed in, so
/// its release reaches the very assembler that lent the slot even if the router has moved on to another one for the
/// same content id since (a transfer dropped and started afresh). Called from the read loop's thread: thread-safe.
/// </summary>
public interface IChunkSlotDirectory
{
    /// <summary>The slots of delta <paramref name="contentId"/> this connection may fill, or null: the chunk is then
    /// delivered in a pooled buffer as any other frame.</summary>
    IChunkSlots? Find(ReadOnlySpan<byte> contentId);
}
