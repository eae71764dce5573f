using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Reputation.Internal;

/// <summary>
/// This node's copy and collusion evidence per pair of origins (<see cref="CopyEvidenceMath"/>): how many distinct
/// pairs of their releases were near-copies in one of its merges, and the running mean of the cosines of their
/// deviation histories. Evidence is all-time (a running mean, not a moving average), so a replayer of an honest
/// node's releases stays linked to it. Bounded to a number of pairs; the least recently observed pair is evicted
/// beyond (O(1), a linked list in recency order). Held in memory only: after a restart it builds up again (the
/// cosine links after <see cref="ReputationOptions.CopyLinkMinObservations"/> merges). Not thread-safe (the round
/// loop owns it).
/// </summary>
internal sealed class CopyEvidence
{
    private readonly Dictionary<(PeerId, PeerId), LinkedListNode<Pair>> _pairs = [];
    private readonly LinkedList<Pair> _recency = new();
    private readonly int _maxPairs;

    public CopyEvidence(int maxPairs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        _maxPairs = maxPairs;
    }

    public int Count => _pairs.Count;

    /// <summary>
    /// Counts one near-copy event for (a, b) unless this very pair of releases was counted already (a pair of states
    /// waiting in the inbox is seen by several merges). Returns the pair's count.
    /// </summary>
    public int RecordNearCopy(PeerId a, ulong sequenceA, PeerId b, ulong sequenceB)
    {
        if (string.CompareOrdinal(a.Value, b.Value) > 0)
        {
            (a, b, sequenceA, sequenceB) = (b, a, sequenceB, sequenceA);
        }

        Pair pair = Touch(a, b);
        if (pair.NearCopies > 0 && pair.SequenceA == sequenceA && pair.SequenceB == sequenceB)
        {
            return pair.NearCopies;
        }

        pair.NearCopies++;
        pair.SequenceA = sequenceA;
        pair.SequenceB = sequenceB;
        return pair.NearCopies;
    }

    /// <summary>Adds one cosine of the pair's centered deviation histories.</summary>
    public void ObserveCosine(PeerId a, PeerId b, double cosine)
    {
        Pair pair = Touch(a, b);
        pair.CosineSum += cosine;
        pair.CosineCount++;
    }

    /// <summary>The pair's evidence (either order): near-copy events, mean history cosine (NaN when none) and its count.</summary>
    public (int NearCopies, double MeanCosine, int Observations) Of(PeerId a, PeerId b)
    {
        if (_pairs.TryGetValue(Key(a, b), out LinkedListNode<Pair>? node))
        {
            Pair p = node.Value;
            return (p.NearCopies, p.CosineCount > 0 ? p.CosineSum / p.CosineCount : double.NaN, p.CosineCount);
        }

        return (0, double.NaN, 0);
    }

    /// <summary>
    /// Every peer in a pair with a near-copy event or a mean history cosine of at least <paramref name="minCosine"/>
    /// over at least <paramref name="minObservations"/> observations: the peers pushes go past (not counted toward the
    /// fanout). O(pairs), once per round.
    /// </summary>
    public HashSet<PeerId> LinkedPeers(double minCosine, int minObservations)
    {
        var linked = new HashSet<PeerId>();
        foreach (Pair p in _recency)
        {
            if (p.NearCopies > 0 || (p.CosineCount >= minObservations && p.CosineSum / p.CosineCount >= minCosine))
            {
                linked.Add(p.A);
                linked.Add(p.B);
            }
        }

        return linked;
    }

    private static (PeerId, PeerId) Key(PeerId a, PeerId b) => string.CompareOrdinal(a.Value, b.Value) > 0 ? (b, a) : (a, b);

    /// <summary>Finds or creates the pair's entry (evicting the least recently observed when full) and makes it the most recent.</summary>
    private Pair Touch(PeerId a, PeerId b)
    {
        (PeerId first, PeerId second) = Key(a, b);
        if (_pairs.TryGetValue((first, second), out LinkedListNode<Pair>? node))
        {
            _recency.Remove(node);
            _recency.AddLast(node);
            return node.Value;
        }

        if (_pairs.Count >= _maxPairs)
        {
            Pair oldest = _recency.First!.Value;
            _recency.RemoveFirst();
            _pairs.Remove((oldest.A, oldest.B));
        }

        node = _recency.AddLast(new Pair(first, second));
        _pairs[(first, second)] = node;
        return node.Value;
    }

    private sealed class Pair(PeerId a, PeerId b)
    {
        public PeerId A { get; } = a;

        public PeerId B { get; } = b;

        public int NearCopies { get; set; }

        public ulong SequenceA { get; set; }

        public ulong SequenceB { get; set; }

        public double CosineSum { get; set; }

        public int CosineCount { get; set; }
    }
}
