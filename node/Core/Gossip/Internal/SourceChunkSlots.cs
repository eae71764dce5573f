using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Gossip.Internal;

/// <summary>One connection's view of <see cref="ChunkPlacements"/>: the deltas its peer is the source of.</summary>
internal sealed class SourceChunkSlots(ChunkPlacements placements, PeerId peer) : IChunkSlotDirectory
{
    public IChunkSlots? Find(ReadOnlySpan<byte> contentId) => placements.Find(peer, contentId);
}
