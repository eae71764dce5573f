using System.Collections.Concurrent;
using FedMesh.Node.Gossip.Internal;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Gossip;

/// <summary>
/// The assemblers of the deltas a <see cref="GossipEngine"/> is pulling, each with the peer it pulls from now, for
/// connections' read loops to decrypt chunks straight into (<see cref="SecureConnection.ChunkSlots"/> set to
/// <see cref="For"/>): one pass less over every received payload byte, and the chunk hashed on the read loop's core
/// while it is in cache. The engine (one thread) publishes and withdraws entries; read loops (their own threads)
/// only look them up, so the map is concurrent and an entry is an immutable pair. A chunk a read loop does not find
/// here, or that comes from a peer other than the current source, arrives in a pooled buffer and the engine judges
/// it exactly as before: only the source the engine asked may place chunks, so an unsolicited (possibly forged) copy
/// can never hold a slot and turn the source's good chunk away as a duplicate while it waits to be refused.
/// </summary>
public sealed class ChunkPlacements
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private long _chunksAssembled;
    private long _chunksPlaced;

    /// <summary>Deltas whose chunks may be placed now.</summary>
    public int Count => _entries.Count;

    /// <summary>Chunks of the deltas this engine assembled and verified so far.</summary>
    public long ChunksAssembled => Interlocked.Read(ref _chunksAssembled);

    /// <summary>Of <see cref="ChunksAssembled"/>, those a read loop decrypted straight into their slot (the others
    /// came in pooled buffers: from another peer than the source, or before the engine had the manifest).</summary>
    public long ChunksPlaced => Interlocked.Read(ref _chunksPlaced);

    /// <summary>The slot directory of the connection to <paramref name="peer"/>: it finds the assembler of a delta
    /// only while that peer is the delta's source.</summary>
    public IChunkSlotDirectory For(PeerId peer) => new SourceChunkSlots(this, peer);

    /// <summary>The assembler of delta <paramref name="contentId"/> when <paramref name="peer"/> is its source now.</summary>
    public DeltaAssembler? Find(PeerId peer, ReadOnlySpan<byte> contentId) =>
        contentId.Length == DeltaLimits.HashLength
        && _entries.TryGetValue(Convert.ToHexStringLower(contentId), out Entry? entry) && entry.Source == peer
            ? entry.Assembler
            : null;

    /// <summary>Publishes (or re-points at a new source) the assembler of delta <paramref name="contentIdHex"/>.</summary>
    internal void Set(string contentIdHex, DeltaAssembler assembler, PeerId source) =>
        _entries[contentIdHex] = new Entry(assembler, source);

    /// <summary>Withdraws delta <paramref name="contentIdHex"/> (verified, refused or abandoned). A read loop that found
    /// it just before keeps its slot until its frame is disposed; the engine then ignores or copies that chunk.</summary>
    internal void Remove(string contentIdHex) => _entries.TryRemove(contentIdHex, out _);

    /// <summary>Counts a completed delta's chunks (<see cref="ChunksAssembled"/>, <see cref="ChunksPlaced"/>).</summary>
    internal void Completed(DeltaAssembler assembler)
    {
        Interlocked.Add(ref _chunksAssembled, assembler.ChunkCount);
        Interlocked.Add(ref _chunksPlaced, assembler.PlacedCount);
    }

    private sealed record Entry(DeltaAssembler Assembler, PeerId Source);
}
