using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>A peer known to the sender: its public key and where it listens.</summary>
public sealed record PeerEntry(ReadOnlyMemory<byte> PublicKey, IReadOnlyList<string> Addresses);

/// <summary>
/// Peer exchange (SPEC.md §4.3). Layout: [peers [[public_key bin32, addresses [str…]]…]], at most
/// <see cref="MessageLimits.MaxPeersPerList"/> peers. Receivers treat entries as hints, never as authenticated.
/// </summary>
public sealed record PeerListMessage(IReadOnlyList<PeerEntry> Peers) : WireMessage
{
    public override FrameType Type => FrameType.PeerList;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 1;

    internal override int FieldCount => Fields;

    internal override void Validate()
    {
        Check(Peers is not null && Peers.Count <= MessageLimits.MaxPeersPerList, $"at most {MessageLimits.MaxPeersPerList} peers", nameof(Peers));
        foreach (PeerEntry p in Peers!)
        {
            CheckHash(p.PublicKey, nameof(PeerEntry.PublicKey));
            CheckAddresses(p.Addresses, nameof(PeerEntry.Addresses));
        }
    }

    internal override void WriteFields(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(Peers.Count);
        foreach (PeerEntry p in Peers)
        {
            writer.WriteArrayHeader(2);
            writer.Write(p.PublicKey.Span);
            WriteAddresses(ref writer, p.Addresses);
        }
    }

    internal static PeerListMessage Read(ref BodyReader reader)
    {
        int count = reader.ReadArrayHeader("peers", 0, MessageLimits.MaxPeersPerList);
        var peers = new PeerEntry[count];
        for (int i = 0; i < count; i++)
        {
            reader.ReadArrayHeader("peer", 2, 2);
            byte[] key = reader.ReadFixedBin("peer.public_key", MessageLimits.HashLength);
            peers[i] = new PeerEntry(key, ReadAddresses(ref reader, "peer.addresses"));
        }

        return new PeerListMessage(peers);
    }
}
