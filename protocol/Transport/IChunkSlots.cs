namespace FedMesh.Protocol.Transport;

/// <summary>
/// Where a connection's read loop may decrypt DeltaChunk data straight into (<see cref="SecureConnection.ChunkSlots"/>):
/// the chunk's slot in its delta's assembly buffer (a <see cref="Deltas.DeltaAssembler"/>) instead of a pooled buffer
/// the assembler then copies from, one pass less over every payload byte (3.5–4.7 ms of CPU per 64 MiB on the
/// development VM). Called from the read loop while the application consumes earlier frames: implementations are
/// thread-safe, and a slot handed out is written by nobody else until it is committed or released.
/// </summary>
public interface IChunkSlots
{
    /// <summary>
    /// Reserves the slot of chunk <paramref name="index"/> of delta <paramref name="contentId"/> with
    /// <paramref name="length"/> data bytes for the read loop to decrypt into, or returns empty when this chunk is
    /// not wanted there (another delta, an index out of range, a wrong length, a chunk already held or reserved):
    /// the frame is then delivered in a pooled buffer as any other. The bytes are not authentic yet: the read loop
    /// delivers the chunk (<see cref="ReceivedFrame.PlacedChunk"/>) only after its frame authenticated, and
    /// releases the slot when it did not.
    /// </summary>
    Memory<byte> Reserve(ReadOnlySpan<byte> contentId, uint index, int length);

    /// <summary>
    /// The reserved slot of chunk <paramref name="index"/> now holds its authenticated data. Called on the read loop's
    /// thread right after decrypting, while the data is in this core's cache: the place to check it (a
    /// <see cref="Deltas.DeltaAssembler"/> hashes it here, so hashing reads cached data and the application's
    /// thread only takes the verdict).
    /// </summary>
    void Filled(uint index);

    /// <summary>Frees a slot reserved and not (or not yet) accepted: its frame failed authentication, or was
    /// disposed unread. A no-op for a chunk already accepted.</summary>
    void Release(uint index);
}
