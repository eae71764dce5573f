using System.Buffers;
using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Security.Internal;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Transport;

/// <summary>
/// Opens a DeltaChunk frame straight into the slot the <see cref="IChunkSlots"/> of its delta (as
/// <see cref="IChunkSlotDirectory"/> finds them) reserves for it: the body's first
/// <see cref="PrefixBytes"/> are decrypted on their own, which holds the chunk's head (content id, index, data
/// length), and the rest is decrypted where that says the data belongs. A frame whose head is not the common layout,
/// or whose chunk is not wanted there, is decrypted into a pooled buffer as usual, in the same pass. The tag is
/// checked before anything is delivered; a frame that fails it leaves its slot cleared and free again.
/// </summary>
internal static class ChunkOpener
{
    /// <summary>
    /// Body bytes decrypted first: the longest head (<see cref="DeltaChunkMessage.MaxHeadLength"/>, 45) rounded up to
    /// whole 16-byte AEGIS blocks, so the data part starts on a block boundary as <see cref="Aegis256.Opening"/> needs.
    /// </summary>
    public const int PrefixBytes = (DeltaChunkMessage.MaxHeadLength + 15) / 16 * 16;

    /// <summary>Whether <see cref="Open"/> applies: a DeltaChunk longer than the prefix, on a suite that opens in parts.</summary>
    public static bool Applies(FrameProtector receiver, Frame frame) =>
        frame.Type == FrameType.DeltaChunk && receiver.OpensInParts && frame.Payload.Length > PrefixBytes + receiver.TagSize;

    /// <exception cref="ProtocolException">DecryptFailed: the frame does not authenticate.</exception>
    public static ReceivedFrame Open(FrameProtector receiver, Frame frame, IChunkSlotDirectory directory)
    {
        ReadOnlySequence<byte> payload = frame.Payload;
        Aegis256.Opening opening = receiver.BeginOpen(frame.Header, payload.Length, out int bodyLength, out ulong frameNumber);
        Span<byte> tag = stackalloc byte[receiver.TagSize];
        payload.Slice(bodyLength).CopyTo(tag);
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        opening.Decrypt(payload.Slice(0, PrefixBytes), prefix);
        ReadOnlySequence<byte> rest = payload.Slice(PrefixBytes, bodyLength - PrefixBytes);

        IChunkSlots? slots = DeltaChunkMessage.TryReadHead(prefix, bodyLength, out byte[] contentId, out uint index, out int headLength)
            ? directory.Find(contentId)
            : null;
        Memory<byte> slot = slots is null ? Memory<byte>.Empty : slots.Reserve(contentId, index, bodyLength - headLength);
        if (slots is null || slot.IsEmpty)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(bodyLength);
            try
            {
                prefix.CopyTo(buffer);
                opening.Decrypt(rest, buffer.AsSpan(PrefixBytes, bodyLength - PrefixBytes));
                if (!opening.Verify(tag))
                {
                    buffer.AsSpan(0, bodyLength).Clear();
                    throw FrameProtector.NotAuthentic(frame.Header, frameNumber);
                }

                return new ReceivedFrame(frame.Type, buffer, bodyLength);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }

        bool authentic = false;
        try
        {
            Span<byte> data = slot.Span;
            prefix[headLength..].CopyTo(data);
            opening.Decrypt(rest, data[(PrefixBytes - headLength)..]);
            authentic = opening.Verify(tag);
        }
        finally
        {
            if (!authentic)
            {
                // Unauthenticated bytes never stay in the payload buffer, and the slot can be filled again.
                slot.Span.Clear();
                slots.Release(index);
            }
        }

        if (!authentic)
        {
            throw FrameProtector.NotAuthentic(frame.Header, frameNumber);
        }

        slots.Filled(index);
        return new ReceivedFrame(new DeltaChunkMessage(contentId, index, slot), slots, bodyLength);
    }
}
