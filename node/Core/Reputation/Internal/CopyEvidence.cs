using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Reputation.Internal;

/// <summary>
/// This node's copy and collusion evidence per pair of origins (<see cref="CopyEvidenceMath"/>): how many distinct
/// pairs of their releases were near-copies in one of its merges, and the running mean of the cosines of their
/// deviation histories. Evidence is all-time (a running mean, not a moving average), so a replayer of an honest
/// node's releases stays linked to it. Bounded to a number of pairs; the least recently observed pair is evicted
/// beyond (each observation stamps its pair; see <see cref="_evictionOrder"/>). Held in memory only: after a restart it builds up again (the
/// cosine links after <see cref="ReputationOptions.CopyLinkMinObservations"/> merges). Not thread-safe (the round
/// loop owns it).
/// <para>
/// Optionally a cosine link needs a close call (<see cref="ReputationOptions.CosineLinkNeedsCloseCall"/>): a pair's mean
/// history cosine then counts only when one of the two was, with some peer, a party to a close call, two states of one
/// merge within a looser distance and time than a near copy's (<see cref="HasCloseCall"/>): honest peers whose data
/// are alike correlate as strongly as colluders, but colluders craft from the same states and now and then send states
/// that close. Whether a peer has one is kept per peer, as a count of its kept pairs with close calls; when that starts
/// or ends, every kept pair's push-past link is re-evaluated (O(<see cref="ReputationOptions.MaxCopyPairs"/>), once per
/// peer caught or forgotten).
/// </para>
/// <para>
/// The peers pushes go past (<see cref="LinkedPeers"/>) are kept as each pair's evidence changes, a count of linked
/// pairs per peer, instead of a set rebuilt from every pair after each merge: the round loop asks after every merge,
/// and the set changes in few of them (<see cref="LinkedVersion"/> says when).
/// </para>
/// </summary>
internal sealed class CopyEvidence
{
    private readonly Dictionary<(PeerId, PeerId), Pair> _pairs = [];

    /// <summary>Observations so far: each touch stamps its pair with the next value (<see cref="Pair.LastObserved"/>).</summary>
    private long _clock;

    /// <summary>
    /// The order pairs are evicted in: the kept pairs with their stamps, sorted least recent first when the table first
    /// needs to evict and again whenever this runs out. An entry whose pair was observed since (its stamp moved on) or
    /// evicted is passed over: a pair observed after the sort is more recent than every pair still holding its stamp
    /// here, so the first entry that still holds its stamp is the least recently observed pair. An observation thus
    /// writes its own pair's stamp only; a recency list moved the pair and wrote its two neighbours (cache misses across
    /// a table per node: 1 % of a 1,000-node netsim run's CPU samples beside the lookup itself), and the table is full
    /// only under a flood of identities. Each entry is consumed once (an eviction, or a pass after an observation), so a
    /// sort of n pairs serves n evictions and observations: O(log n) per operation amortized.
    /// </summary>
    private readonly Queue<(Pair Pair, long Stamp)> _evictionOrder = new();

    private readonly Dictionary<PeerId, int> _linkedPairsOf = [];
    private readonly Dictionary<PeerId, int> _closeCallPairsOf = [];
    private readonly int _maxPairs;
    private readonly double _pushPastCosine;
    private readonly int _minObservations;
    private readonly bool _cosineNeedsCloseCall;

    /// <param name="maxPairs">Pairs kept at most (<see cref="ReputationOptions.MaxCopyPairs"/>).</param>
    /// <param name="pushPastCosine">Mean history cosine from which a pair is linked for push targeting
    /// (<see cref="ReputationOptions.PushPastCosine"/>); a near-copy event always links.</param>
    /// <param name="minObservations">History cosines a pair needs before its mean counts
    /// (<see cref="ReputationOptions.CopyLinkMinObservations"/>).</param>
    /// <param name="cosineNeedsCloseCall">Whether a pair's mean cosine links it only when one of the two has a close
    /// call with some peer (<see cref="ReputationOptions.CosineLinkNeedsCloseCall"/>).</param>
    public CopyEvidence(int maxPairs, double pushPastCosine, int minObservations, bool cosineNeedsCloseCall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        _maxPairs = maxPairs;
        _pushPastCosine = pushPastCosine;
        _minObservations = minObservations;
        _cosineNeedsCloseCall = cosineNeedsCloseCall;
    }

    public int Count => _pairs.Count;

    /// <summary>
    /// Every peer in a kept pair with a near-copy event, or with a mean history cosine of at least the push-past cosine
    /// over at least the minimum observations: the peers pushes go past (not counted toward the fanout). A live view,
    /// kept up to date as evidence is added and pairs are evicted.
    /// </summary>
    public IReadOnlyCollection<PeerId> LinkedPeers => _linkedPairsOf.Keys;

    /// <summary>Changes whenever a peer joins or leaves <see cref="LinkedPeers"/> (it may come back to an earlier
    /// set within one merge): a caller that published the set at one version need not publish it again until this
    /// changes.</summary>
    public long LinkedVersion { get; private set; }

    /// <summary>Whether <paramref name="peer"/> is one of a kept pair with a close call.</summary>
    public bool HasCloseCall(PeerId peer) => _closeCallPairsOf.ContainsKey(peer);

    /// <summary>Whether the pair's mean history cosine may link it: always, or, when cosine links need a close call,
    /// when one of the two <see cref="HasCloseCall"/>.</summary>
    public bool CosineCounts(PeerId a, PeerId b) => !_cosineNeedsCloseCall || HasCloseCall(a) || HasCloseCall(b);

    /// <summary>
    /// Counts one near-copy event for (a, b) unless this very pair of releases was counted already (a pair of states
    /// waiting in the inbox is seen by several merges). Returns the pair's count.
    /// </summary>
    public int RecordNearCopy(PeerId a, ulong sequenceA, PeerId b, ulong sequenceB)
    {
        if (!InOrder(a, b))
        {
            (a, b, sequenceA, sequenceB) = (b, a, sequenceB, sequenceA);
        }

        Pair pair = TouchOrdered(a, b);
        if (pair.NearCopies > 0 && pair.SequenceA == sequenceA && pair.SequenceB == sequenceB)
        {
            return pair.NearCopies;
        }

        pair.NearCopies++;
        pair.SequenceA = sequenceA;
        pair.SequenceB = sequenceB;
        UpdateLinked(pair);
        return pair.NearCopies;
    }

    /// <summary>Counts one close call for (a, b): two of their states in one merge within the close-call distance and
    /// time (<see cref="ReputationOptions.CloseCallRatio"/>), a near copy included.</summary>
    public void RecordCloseCall(PeerId a, PeerId b)
    {
        Pair pair = Touch(a, b);
        pair.CloseCalls++;
        // "|", not "||": both peers count the pair whatever the first returns.
        if (pair.CloseCalls == 1 && (AddCloseCallPair(pair.A) | AddCloseCallPair(pair.B)) && _cosineNeedsCloseCall)
        {
            // A peer newly caught close to another: its pairs' cosines now count.
            UpdateAllLinked();
        }
        else
        {
            UpdateLinked(pair);
        }
    }

    /// <summary>Adds one cosine of the pair's centered deviation histories. Returns the pair's entry, which
    /// <see cref="Of(Pair?, PeerId, PeerId)"/> reads without looking the pair up again while it is kept.</summary>
    public Pair ObserveCosine(PeerId a, PeerId b, double cosine)
    {
        Pair pair = Touch(a, b);
        pair.CosineSum += cosine;
        pair.CosineCount++;
        UpdateLinked(pair);
        return pair;
    }

    /// <summary>The pair's evidence (either order): near-copy events, mean history cosine (NaN when none) and its count.</summary>
    public (int NearCopies, double MeanCosine, int Observations) Of(PeerId a, PeerId b) =>
        _pairs.TryGetValue(Key(a, b), out Pair? p) ? p.Evidence : (0, double.NaN, 0);

    /// <summary>
    /// <see cref="Of(PeerId, PeerId)"/>, read from <paramref name="entry"/> (what <see cref="ObserveCosine"/> returned for
    /// this very pair, or null) while it is still kept: a kept entry is the one the table holds under the pair's key, so
    /// the answer is the same without a second lookup. An evicted entry (or none) falls back to the lookup, which also
    /// sees a pair created again since.
    /// </summary>
    public (int NearCopies, double MeanCosine, int Observations) Of(Pair? entry, PeerId a, PeerId b) =>
        entry is { Kept: true } ? entry.Evidence : Of(a, b);

    /// <summary>The pair's close calls (either order; 0 when not kept).</summary>
    public int CloseCallsOf(PeerId a, PeerId b) => _pairs.TryGetValue(Key(a, b), out Pair? p) ? p.CloseCalls : 0;

    /// <summary>Whether (a, b) is the pair's key order: a pair is kept once, under its ordinally smaller id first.</summary>
    private static bool InOrder(PeerId a, PeerId b) => string.CompareOrdinal(a.Value, b.Value) <= 0;

    private static (PeerId, PeerId) Key(PeerId a, PeerId b) => InOrder(a, b) ? (a, b) : (b, a);

    private Pair Touch(PeerId a, PeerId b)
    {
        (PeerId first, PeerId second) = Key(a, b);
        return TouchOrdered(first, second);
    }

    /// <summary>Finds or creates the pair's entry (<paramref name="first"/> ordinally before <paramref name="second"/>),
    /// evicting the least recently observed when full, and makes it the most recent.</summary>
    private Pair TouchOrdered(PeerId first, PeerId second)
    {
        if (_pairs.TryGetValue((first, second), out Pair? pair))
        {
            pair.LastObserved = ++_clock;
            return pair;
        }

        if (_pairs.Count >= _maxPairs)
        {
            EvictLeastRecent();
        }

        pair = new Pair(first, second) { LastObserved = ++_clock };
        _pairs[(first, second)] = pair;
        return pair;
    }

    private void EvictLeastRecent()
    {
        while (true)
        {
            if (_evictionOrder.Count == 0)
            {
                var kept = new List<(Pair Pair, long Stamp)>(_pairs.Count);
                foreach (Pair p in _pairs.Values)
                {
                    kept.Add((p, p.LastObserved));
                }

                // Stamps are unique: one order.
                kept.Sort(static (x, y) => x.Stamp.CompareTo(y.Stamp));
                foreach ((Pair, long) entry in kept)
                {
                    _evictionOrder.Enqueue(entry);
                }
            }

            (Pair oldest, long stamp) = _evictionOrder.Dequeue();
            if (oldest.Kept && oldest.LastObserved == stamp)
            {
                oldest.Kept = false;
                _pairs.Remove((oldest.A, oldest.B));
                if (oldest.Linked)
                {
                    Unlink(oldest);
                }

                if (oldest.CloseCalls > 0 && (RemoveCloseCallPair(oldest.A) | RemoveCloseCallPair(oldest.B)) && _cosineNeedsCloseCall)
                {
                    // A peer whose last kept close call was forgotten: its pairs' cosines no longer count.
                    UpdateAllLinked();
                }

                return;
            }
        }
    }

    /// <summary>Re-evaluates the pair's link after its evidence changed. Evidence only grows (near-copy events) or
    /// moves (the mean cosine), so a pair can also lose its link when its mean falls below the push-past cosine.</summary>
    private void UpdateLinked(Pair p)
    {
        bool linked = p.NearCopies > 0
            || (p.CosineCount >= _minObservations && p.CosineSum / p.CosineCount >= _pushPastCosine && CosineCounts(p.A, p.B));
        if (linked == p.Linked)
        {
            return;
        }

        if (linked)
        {
            p.Linked = true;
            AddLinkedPair(p.A);
            AddLinkedPair(p.B);
        }
        else
        {
            Unlink(p);
        }
    }

    private void UpdateAllLinked()
    {
        foreach (Pair p in _pairs.Values)
        {
            UpdateLinked(p);
        }
    }

    /// <summary>Counts one more kept pair with a close call for the peer; true when it is the peer's first.</summary>
    private bool AddCloseCallPair(PeerId peer)
    {
        int count = _closeCallPairsOf.GetValueOrDefault(peer);
        _closeCallPairsOf[peer] = count + 1;
        return count == 0;
    }

    /// <summary>Counts one fewer kept pair with a close call for the peer; true when it was the peer's last.</summary>
    private bool RemoveCloseCallPair(PeerId peer)
    {
        int count = _closeCallPairsOf[peer] - 1;
        if (count == 0)
        {
            _closeCallPairsOf.Remove(peer);
            return true;
        }

        _closeCallPairsOf[peer] = count;
        return false;
    }

    private void Unlink(Pair p)
    {
        p.Linked = false;
        RemoveLinkedPair(p.A);
        RemoveLinkedPair(p.B);
    }

    private void AddLinkedPair(PeerId peer)
    {
        int count = _linkedPairsOf.GetValueOrDefault(peer);
        _linkedPairsOf[peer] = count + 1;
        if (count == 0)
        {
            LinkedVersion++;
        }
    }

    private void RemoveLinkedPair(PeerId peer)
    {
        int count = _linkedPairsOf[peer] - 1;
        if (count == 0)
        {
            _linkedPairsOf.Remove(peer);
            LinkedVersion++;
        }
        else
        {
            _linkedPairsOf[peer] = count;
        }
    }

    /// <summary>One pair's evidence, kept under its ordered key. Handed out by <see cref="ObserveCosine"/> so that a
    /// merge reads the pair it just observed without a second lookup; only this class changes it.</summary>
    internal sealed class Pair(PeerId a, PeerId b)
    {
        public PeerId A { get; } = a;

        public PeerId B { get; } = b;

        public int NearCopies { get; set; }

        public ulong SequenceA { get; set; }

        public ulong SequenceB { get; set; }

        public double CosineSum { get; set; }

        public int CosineCount { get; set; }

        public int CloseCalls { get; set; }

        /// <summary>Whether the pair counts toward <see cref="LinkedPeers"/> (as last evaluated).</summary>
        public bool Linked { get; set; }

        /// <summary>Whether the table still holds this entry (false once evicted; a pair observed again later gets a new
        /// entry).</summary>
        public bool Kept { get; set; } = true;

        /// <summary>The observation that last touched the pair (<see cref="_clock"/>'s value then).</summary>
        public long LastObserved { get; set; }

        public (int NearCopies, double MeanCosine, int Observations) Evidence =>
            (NearCopies, CosineCount > 0 ? CosineSum / CosineCount : double.NaN, CosineCount);
    }
}
