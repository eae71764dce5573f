using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Reputation;

/// <summary>
/// Per-peer trust from history (see <see cref="TrustMath"/>): each observation — a delta's distance to the
/// robust aggregate, a rejection by the aggregation rule, a validation-gate rejection, bytes that failed
/// verification — moves trust by EWMA. Merge code asks <see cref="GetWeight"/> for each contributor.
/// Ignored peers should still be observed (their distances computed) so an honest peer that was wrongly
/// penalised can recover. Bounded to <see cref="ReputationOptions.MaxPeers"/>, evicting the least recently
/// seen. Thread-safe.
/// </summary>
public sealed partial class ReputationTracker
{
    private readonly object _gate = new();
    private readonly Dictionary<PeerId, Entry> _peers = [];
    private readonly ReputationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _tick;

    // Merges recorded since the last unscored one (RecordMergeEvidence); none yet: never unscored.
    private long _mergesSinceUnscored = long.MaxValue;

    public ReputationTracker(ReputationOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.EnsureValid();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public ReputationOptions Options => _options;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Records the distance of the peer's delta to the robust aggregate, relative to the median distance of this round.</summary>
    public void RecordDistance(PeerId peer, double distance, double medianDistance) =>
        Observe(peer, TrustMath.DistanceScore(distance, medianDistance, _options.DistanceTolerance), static e => e.Observations++);

    /// <summary>
    /// Records one merge round: each contributor's distance to the robust aggregate, scored against the median
    /// of this round's distances (so the score does not depend on the scale of the deltas).
    /// </summary>
    public void RecordRound(IReadOnlyList<KeyValuePair<PeerId, double>> distances) => RecordRound(distances, null);

    /// <summary>
    /// As <see cref="RecordRound(IReadOnlyList{KeyValuePair{PeerId, double}})"/>, with each contributor's
    /// history score (<see cref="CollusionMath.Score"/>, same order) as a second test: the observation is the lower
    /// of the two scores, so a peer must pass both to keep its trust.
    /// </summary>
    public void RecordRound(IReadOnlyList<KeyValuePair<PeerId, double>> distances, IReadOnlyList<double>? historyScores)
    {
        ArgumentNullException.ThrowIfNull(distances);
        if (historyScores is not null && historyScores.Count != distances.Count)
        {
            throw new ArgumentException($"{historyScores.Count} history scores for {distances.Count} distances", nameof(historyScores));
        }

        double median = TrustMath.Median(distances.Select(d => d.Value).Where(double.IsFinite).ToArray());
        for (int i = 0; i < distances.Count; i++)
        {
            (PeerId peer, double distance) = distances[i];
            double score = TrustMath.DistanceScore(distance, median, _options.DistanceTolerance);
            Observe(peer, Math.Min(score, historyScores?[i] ?? 1), static e => e.Observations++);
        }
    }

    /// <summary>Records that the aggregation rule rejected the peer's delta.</summary>
    public void RecordRejected(PeerId peer) =>
        Observe(peer, _options.RejectedScore, static e => e.Rejections++);

    /// <summary>Records that a merged candidate this peer contributed to failed the validation gate.</summary>
    public void RecordGateRejection(PeerId peer) =>
        Observe(peer, _options.GateRejectionScore, static e => e.GateRejections++);

    /// <summary>
    /// Records that this peer served bytes that failed verification: a chunk whose hash is not the manifest's, or a
    /// manifest whose signature does not verify. Scored as one harmful observation (<see cref="ReputationOptions.RejectedScore"/>,
    /// EWMA), no more: the sender is already dropped as a source for that delta, and a state of this peer that was
    /// verified end to end (its signature and every chunk hash) is its own evidence. This used to halve trust, so one
    /// bad chunk took a new peer (0.5) below the ignore threshold (0.3) and its already-verified good state was
    /// skipped at the next merge (issue 11); repeated faults still sink it (five from the initial trust).
    /// </summary>
    public void RecordTransportFault(PeerId peer)
    {
        Observe(peer, _options.RejectedScore, static e => e.SignatureFailures++);
        Log.SignatureFailure(_logger, peer.Value, GetTrust(peer));
    }

    /// <summary>Trust in [0, 1]; <see cref="ReputationOptions.InitialTrust"/> for an unknown peer.</summary>
    public double GetTrust(PeerId peer) => TryGetTrust(peer, out double trust) ? trust : _options.InitialTrust;

    /// <summary>Trust in [0, 1] if <paramref name="peer"/> is tracked.</summary>
    public bool TryGetTrust(PeerId peer, out double trust)
    {
        lock (_gate)
        {
            bool known = _peers.TryGetValue(peer, out Entry? entry);
            trust = known ? entry!.Trust : double.NaN;
            return known;
        }
    }

    /// <summary>Fills <paramref name="trust"/> (cleared first) with every tracked peer's trust, in no order: the
    /// per-round metrics export, which needs neither <see cref="Snapshot"/>'s records nor its sort.</summary>
    public void CopyTrust(Dictionary<PeerId, double> trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        trust.Clear();
        lock (_gate)
        {
            foreach ((PeerId peer, Entry entry) in _peers)
            {
                trust[peer] = entry.Trust;
            }
        }
    }

    /// <summary>Merge weight in [0, 1]: 0 = ignore this peer's delta.</summary>
    public double GetWeight(PeerId peer) =>
        TrustMath.Weight(GetTrust(peer), _options.IgnoreBelow, _options.FullWeightAbove);

    public bool IsIgnored(PeerId peer) => GetWeight(peer) == 0;

    /// <summary>Whether any tracked peer is ignored (trust below <see cref="ReputationOptions.IgnoreBelow"/>): this
    /// node has seen a state it judged an attacker's, so the mesh is under attack as far as it can tell.</summary>
    public bool IgnoresAny()
    {
        lock (_gate)
        {
            foreach (Entry entry in _peers.Values)
            {
                if (entry.Trust < _options.IgnoreBelow)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Records one merge round's evidence: whether reputation scored its distances (<paramref name="scored"/>, false
    /// when most of its inputs were farther than the distance bound, <see cref="Mesh.ReputationEvidence.ScoresRound"/>).
    /// </summary>
    public void RecordMergeEvidence(bool scored)
    {
        lock (_gate)
        {
            _mergesSinceUnscored = scored ? SaturatingIncrement(_mergesSinceUnscored) : 0;
        }
    }

    /// <summary>
    /// Whether this node has evidence of attack: it ignores a peer (<see cref="IgnoresAny"/>), or one of its last
    /// <see cref="ReputationOptions.UnscoredMemoryRounds"/> merges was mostly states far beyond its distance bound
    /// (<see cref="SuspectsFromUnscored"/>).
    /// </summary>
    public bool UnderAttack()
    {
        long since;
        lock (_gate)
        {
            since = _mergesSinceUnscored;
        }

        return SuspectsFromUnscored(since, _options.UnscoredMemoryRounds) || IgnoresAny();
    }

    /// <summary>
    /// The unscored-round evidence alone: <paramref name="mergesSinceUnscored"/> merges recorded after the last unscored
    /// one (0: the last merge was unscored; <see cref="long.MaxValue"/>: none ever was) is fewer than
    /// <paramref name="memoryRounds"/>. Pure, so tests check the rule directly.
    /// </summary>
    public static bool SuspectsFromUnscored(long mergesSinceUnscored, int memoryRounds) =>
        mergesSinceUnscored < memoryRounds;

    private static long SaturatingIncrement(long value) => value == long.MaxValue ? value : value + 1;

    /// <summary>All tracked peers, most trusted first, for status.</summary>
    public IReadOnlyList<PeerTrust> Snapshot()
    {
        lock (_gate)
        {
            return _peers.Select(p => ToSnapshot(p.Key, p.Value))
                .OrderByDescending(p => p.Trust)
                .ThenBy(p => p.Peer.Value, StringComparer.Ordinal)
                .ToArray();
        }
    }

    private PeerTrust ToSnapshot(PeerId peer, Entry e)
    {
        double weight = TrustMath.Weight(e.Trust, _options.IgnoreBelow, _options.FullWeightAbove);
        return new PeerTrust(peer, e.Trust, weight, weight == 0, e.Observations, e.Rejections, e.SignatureFailures, e.GateRejections, e.LastSeen);
    }

    private void Observe(PeerId peer, double score, Action<Entry> count)
    {
        if (string.IsNullOrEmpty(peer.Value))
        {
            throw new ArgumentException("peer id is empty", nameof(peer));
        }

        lock (_gate)
        {
            Entry entry = Touch(peer);
            double before = entry.Trust;
            entry.Trust = TrustMath.Update(entry.Trust, score, _options.Decay);
            count(entry);
            ReportThresholdCrossing(peer, before, entry.Trust);
        }
    }

    private void ReportThresholdCrossing(PeerId peer, double before, double after)
    {
        double threshold = _options.IgnoreBelow;
        if (before >= threshold && after < threshold)
        {
            Log.PeerIgnored(_logger, peer.Value, after, threshold);
        }
        else if (before < threshold && after >= threshold)
        {
            Log.PeerRecovered(_logger, peer.Value, after, threshold);
        }
    }

    /// <summary>Finds or creates the peer's entry (evicting if full) and stamps it as seen now.</summary>
    private Entry Touch(PeerId peer)
    {
        if (!_peers.TryGetValue(peer, out Entry? entry))
        {
            if (_peers.Count >= _options.MaxPeers)
            {
                EvictLeastRecentlySeen();
            }

            entry = new Entry { Trust = _options.InitialTrust };
            _peers[peer] = entry;
        }

        entry.LastSeen = _time.GetUtcNow();
        entry.Tick = ++_tick;
        return entry;
    }

    private void EvictLeastRecentlySeen()
    {
        // O(n) scan: eviction happens only when a new peer arrives at a full table, and n ≤ MaxPeers.
        PeerId oldest = default;
        long oldestTick = long.MaxValue;
        foreach ((PeerId id, Entry e) in _peers)
        {
            if (e.Tick < oldestTick)
            {
                oldestTick = e.Tick;
                oldest = id;
            }
        }

        _peers.Remove(oldest);
        Log.PeerEvicted(_logger, _options.MaxPeers, oldest.Value);
    }

    /// <summary>Mutable per-peer state, guarded by the tracker's lock. Tick orders recency within equal times.</summary>
    private sealed class Entry
    {
        public double Trust { get; set; }

        public long Observations { get; set; }

        public long Rejections { get; set; }

        public long SignatureFailures { get; set; }

        public long GateRejections { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public long Tick { get; set; }
    }
}
