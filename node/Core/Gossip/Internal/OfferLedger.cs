using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Gossip.Internal;

/// <summary>
/// Neighbours mode (SPEC.md §9.9): the newest sequence of this node's own states each peer was offered, by node id
/// (a peer id is derived from its key, so it survives reconnections), and the number of push-on-connect offers of the
/// current release. Overlay shuffles close and reopen sessions many times a round; without this ledger every new
/// session re-offered the same state (the receiver dropped the Have, but only after it crossed the wire), and every
/// session to a peer that had not yet got it pulled a whole state, so a release reached fanout + (sessions opened)
/// peers instead of about <see cref="GossipOptions.Fanout"/>.
/// Bounded: the least recently offered peer is forgotten first; forgetting costs at most one repeated Have, which
/// the receiver ignores (it holds the state, SPEC.md §9.3). Not thread-safe (owned by the gossip engine).
/// </summary>
internal sealed class OfferLedger(int capacity)
{
    private readonly Dictionary<PeerId, LinkedListNode<(PeerId Peer, ulong Sequence)>> _byPeer = [];
    private readonly LinkedList<(PeerId Peer, ulong Sequence)> _order = new();

    /// <summary>Push-on-connect offers of the newest release so far (reset by <see cref="NewRelease"/>).</summary>
    public int ConnectOffers { get; private set; }

    /// <summary>Peers remembered (at most the capacity).</summary>
    public int Count => _byPeer.Count;

    /// <summary>True when <paramref name="peer"/> was offered this node's state <paramref name="sequence"/> or a newer one.</summary>
    public bool Offered(PeerId peer, ulong sequence) =>
        _byPeer.TryGetValue(peer, out LinkedListNode<(PeerId Peer, ulong Sequence)>? node) && node.Value.Sequence >= sequence;

    /// <summary>Remembers that <paramref name="peer"/> was offered state <paramref name="sequence"/>.</summary>
    public void Record(PeerId peer, ulong sequence)
    {
        if (_byPeer.Remove(peer, out LinkedListNode<(PeerId Peer, ulong Sequence)>? old))
        {
            sequence = Math.Max(sequence, old.Value.Sequence);
            _order.Remove(old);
        }

        _byPeer[peer] = _order.AddLast((peer, sequence));
        if (_byPeer.Count > capacity)
        {
            _byPeer.Remove(_order.First!.Value.Peer);
            _order.RemoveFirst();
        }
    }

    /// <summary>A new own state was released: its push-on-connect budget starts afresh.</summary>
    public void NewRelease() => ConnectOffers = 0;

    /// <summary>Counts one push-on-connect offer of the current release.</summary>
    public void CountConnectOffer() => ConnectOffers++;
}
