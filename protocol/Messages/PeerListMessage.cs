using FedMesh.Protocol.Messages.Internal;
using FedMesh.Protocol.Wire;
using MessagePack;

namespace FedMesh.Protocol.Messages;

/// <summary>A peer known to the sender: its public key and where it listens.</summary>
public sealed record PeerEntry(ReadOnlyMemory<byte> PublicKey, IReadOnlyList<string> Addresses);

/// <summary>What a PeerList is for (SPEC.md §4.3, §9.10): a plain peer-exchange hint, or one half of a Cyclon shuffle.</summary>
public enum PeerListKind : byte
{
    /// <summary>Peer exchange (§9.8): no shuffle element on the wire.</summary>
    Hint = 0,

    /// <summary>A shuffle offer: the receiver answers with a <see cref="ShuffleReply"/>.</summary>
    ShuffleRequest = 1,

    /// <summary>The answer to a shuffle offer.</summary>
    ShuffleReply = 2,
}

/// <summary>
/// Peer exchange and peer sampling (SPEC.md §4.3). Layout: [peers [[public_key bin32, addresses [str…]]…]] and,
/// for a shuffle only, an appended element [kind u8, ages [u16…]] (one age per peer). At most
/// <see cref="MessageLimits.MaxPeersPerList"/> peers. Receivers treat entries as hints, never as authenticated. A v1
/// peer skips the appended element (§4.1) and reads a shuffle as peer exchange.
/// </summary>
public sealed record PeerListMessage(IReadOnlyList<PeerEntry> Peers) : WireMessage
{
    /// <summary>Hint (no shuffle element) or a shuffle half.</summary>
    public PeerListKind Kind { get; init; } = PeerListKind.Hint;

    /// <summary>Cyclon ages, one per entry of <see cref="Peers"/>; empty for a hint.</summary>
    public IReadOnlyList<ushort> Ages { get; init; } = [];

    public override FrameType Type => FrameType.PeerList;

    /// <summary>Fields of the v1 layout.</summary>
    internal const int Fields = 1;

    /// <summary>A shuffle appends one element after the v1 field (§4.3).</summary>
    internal override int FieldCount => Kind == PeerListKind.Hint ? Fields : Fields + 1;

    internal override void Validate()
    {
        Check(Peers is not null && Peers.Count <= MessageLimits.MaxPeersPerList, $"at most {MessageLimits.MaxPeersPerList} peers", nameof(Peers));
        foreach (PeerEntry p in Peers!)
        {
            CheckHash(p.PublicKey, nameof(PeerEntry.PublicKey));
            CheckAddresses(p.Addresses, nameof(PeerEntry.Addresses));
        }

        Check(Enum.IsDefined(Kind), "kind 0, 1 or 2", nameof(Kind));
        Check(Ages is not null && Ages.Count == (Kind == PeerListKind.Hint ? 0 : Peers.Count), "one age per peer in a shuffle, none in a hint", nameof(Ages));
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

        if (Kind != PeerListKind.Hint)
        {
            writer.WriteArrayHeader(2);
            writer.Write((byte)Kind);
            writer.WriteArrayHeader(Ages.Count);
            foreach (ushort age in Ages)
            {
                writer.Write(age);
            }
        }
    }

    /// <summary>Reads the v1 fields and, when present, the shuffle element (consuming one of the
    /// <paramref name="trailing"/> elements; the rest are skipped by the caller as unknown).</summary>
    internal static PeerListMessage Read(ref BodyReader reader, ref int trailing)
    {
        int count = reader.ReadArrayHeader("peers", 0, MessageLimits.MaxPeersPerList);
        var peers = new PeerEntry[count];
        for (int i = 0; i < count; i++)
        {
            reader.ReadArrayHeader("peer", 2, 2);
            byte[] key = reader.ReadFixedBin("peer.public_key", MessageLimits.HashLength);
            peers[i] = new PeerEntry(key, ReadAddresses(ref reader, "peer.addresses"));
        }

        if (trailing == 0)
        {
            return new PeerListMessage(peers);
        }

        trailing--;
        reader.ReadArrayHeader("shuffle", 2, 2);
        byte kind = reader.ReadUInt8("shuffle.kind");
        if (kind is not ((byte)PeerListKind.ShuffleRequest or (byte)PeerListKind.ShuffleReply))
        {
            throw reader.Error($"shuffle.kind is {kind}, expected 1 (request) or 2 (reply)");
        }

        reader.ReadArrayHeader("shuffle.ages", count, count);
        var ages = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            ages[i] = reader.ReadUInt16("shuffle.ages");
        }

        return new PeerListMessage(peers) { Kind = (PeerListKind)kind, Ages = ages };
    }
}
