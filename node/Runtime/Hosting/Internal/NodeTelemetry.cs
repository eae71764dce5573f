using System.Globalization;
using FedMesh.Node.Audit;
using FedMesh.Node.Metrics;
using FedMesh.Node.Metrics.Internal;
using FedMesh.Node.Mesh;
using FedMesh.Node.Privacy;
using FedMesh.Node.Gossip;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// What the node tells the outside about itself: the counters behind `fedmesh status`, the Prometheus metrics
/// (<see cref="NodeMetrics"/>, one count for both) and the audit log. Thread-safe: connections count bytes from their
/// own tasks, the actor counts deltas, the round loop reports rounds.
/// </summary>
internal sealed class NodeTelemetry
{
    private readonly NodeParts _parts;
    private readonly NodeMetrics _metrics;
    private readonly DateTimeOffset _started;
    private long _round;
    private long _deltasSent;
    private long _deltasReceived;
    private long _deltasMerged;
    private long _deltasRejected;

    private double? _lastTrainLoss;
    private double? _lastBpc;
    private double? _baseBpc;

    /// <summary>The trust gauge's series (<see cref="PublishTrust"/>), and the scratch the tracker's trust is copied
    /// into at each collection. Under _trustLock.</summary>
    private readonly Lock _trustLock = new();
    private readonly LabelledGaugeSeries _trust;
    private readonly Dictionary<PeerId, double> _trustNow = [];

    public NodeTelemetry(NodeParts parts, NodeMetrics metrics)
    {
        _parts = parts;
        _metrics = metrics;
        _started = parts.Time.GetUtcNow();
        _trust = new LabelledGaugeSeries(metrics.Trust);
        // Trust is read when the registry is collected (every scrape and export), not written every round: copying
        // up to reputation.max_peers trusts into the gauge each round cost a node O(tracked peers) whether anyone
        // scraped or not (10 % of a 4,096-node netsim run's CPU samples near round 900, where every node tracks
        // about a thousand peers). A scrape sees the trust as it is then, not as the last round left it.
        metrics.Registry.AddBeforeCollectCallback(PublishTrust);
    }

    public NodeMetrics Metrics => _metrics;

    public long Round => Interlocked.Read(ref _round);

    public void ResumeAt(long round) => Interlocked.Exchange(ref _round, round);

    /// <summary>Wire bytes received over any connection; the total since start, closed connections included (a
    /// per-session sum forgets closed ones), is kept by the metrics (<see cref="NodeMetrics.BytesInTotal"/>).</summary>
    public void BytesIn(long wire) => _metrics.CountBytesIn(wire);

    /// <summary>Wire bytes sent over any connection (<see cref="NodeMetrics.BytesOutTotal"/>).</summary>
    public void BytesOut(long wire) => _metrics.CountBytesOut(wire);

    public void PeerCount(int peers) => _metrics.Peers.Set(peers);

    public void ConnectionRefused() => _metrics.ConnectionsRefused.Inc();

    /// <summary>A verified delta arrived (before any merge decision).</summary>
    public void DeltaReceived()
    {
        Interlocked.Increment(ref _deltasReceived);
        _metrics.DeltasIn.Inc();
    }

    /// <summary>A delta refused: by the engine (<paramref name="reasonLabel"/> = the protocol code), by the coordinator ("NotMerged"), or a modulo int8 state this node could not decode against its own ("SideInformation", SPEC §5.4 code 5).</summary>
    public void DeltaRejected(string reasonLabel)
    {
        Interlocked.Increment(ref _deltasRejected);
        _metrics.DeltasRejected.WithLabels(reasonLabel).Inc();
    }

    public void DeltaSent()
    {
        Interlocked.Increment(ref _deltasSent);
        _metrics.DeltasOut.Inc();
    }

    public void Audit(AuditEventKind kind, PeerId origin, StoredDelta delta, double norm, string decision, string? reason)
    {
        DpParameters dp = delta.Delta.Manifest.Privacy;
        _parts.Audit?.Append(new AuditRecord(kind, origin.Value, delta.ContentIdHex, (long)delta.Delta.Manifest.Sequence, norm, dp.ClipNorm, dp.NoiseMultiplier, decision, reason));
    }

    public void Audit(AuditRecord record) => _parts.Audit?.Append(record);

    /// <summary>The held-out bits per byte of the base model and of the adapter the node starts with.</summary>
    public void Baseline(double baseBpc, double startBpc)
    {
        _baseBpc = baseBpc;
        _lastBpc = startBpc;
        _metrics.BaseHeldOutBpc.Set(baseBpc);
        _metrics.HeldOutBpc.Set(startBpc);
    }

    /// <summary>A round ended: counters, loss and bpc gauges, the merge decisions audited (trust per peer is read at
    /// collection: <see cref="PublishTrust"/>).</summary>
    public void RoundDone(RoundReport report, double? heldOutBpc)
    {
        Interlocked.Exchange(ref _round, report.Round);
        Interlocked.Add(ref _deltasMerged, report.Merged);
        _metrics.Rounds.Inc();
        if (double.IsFinite(report.TrainLoss))
        {
            // NaN: a round that did not train (record-level budget exhausted) or whose DP-SGD draws took no record.
            _lastTrainLoss = report.TrainLoss;
            _metrics.TrainLoss.Set(report.TrainLoss);
        }

        _metrics.MergeSeconds.Observe(report.MergeTime.TotalSeconds);
        _metrics.RecordRound(report);
        // Without an audit log there is nothing to write the decisions to: no record per decision (2–3 per round).
        // By index: foreach over the list interface boxes an enumerator.
        IReadOnlyList<MergeDecision> decisions = report.Decisions;
        for (int i = 0; _parts.Audit is not null && i < decisions.Count; i++)
        {
            MergeDecision d = decisions[i];
            Audit(new AuditRecord(
                d.Merged ? AuditEventKind.Merged : AuditEventKind.Rejected,
                d.Origin,
                d.ContentIdHex,
                (long)d.Sequence,
                d.Norm,
                double.NaN,
                double.NaN,
                d.Merged ? (report.Adopted ? "merged" : "gate-rejected") : "rejected",
                d.Merged ? report.GateReason : d.Reason));
        }

        if (heldOutBpc is { } bpc)
        {
            _lastBpc = bpc;
            _metrics.HeldOutBpc.Set(bpc);
        }

        PublishPrivacy();
    }

    /// <summary>
    /// The trust gauge, one series per tracked peer: set where the trust changed since the last collection, removed
    /// for a peer the tracker no longer holds (it evicts beyond <see cref="Reputation.ReputationOptions.MaxPeers"/>), so
    /// the series stay as many as the tracked peers however many peers a node meets over its life. Runs before each
    /// collection of the registry (a scrape, an export); before, a sorted snapshot of all tracked peers and a label
    /// lookup each (5 % of the allocations of a 1,000-node netsim run), and series of evicted peers were kept for good.
    /// </summary>
    private void PublishTrust()
    {
        if (_parts.Reputation is not { } reputation)
        {
            return;
        }

        lock (_trustLock)
        {
            reputation.CopyTrust(_trustNow);
            _trust.Replace(_trustNow, static peer => peer.Value);
        }
    }

    public double LastBpc => _lastBpc ?? double.NaN;

    /// <summary>The privacy gauges from the ledger (so a node that starts with a truncated ledger shows it at once).</summary>
    public void PublishPrivacy()
    {
        if (_parts.Ledger is { } ledger)
        {
            PrivacyBudgetStatus status = ledger.GetStatus();
            _metrics.EpsilonSpent.Set(status.SpentEpsilon);
            _metrics.EpsilonBudget.Set(status.BudgetEpsilon);
            _metrics.LedgerTruncated.Set(status.State == PrivacyBudgetState.Truncated ? 1 : 0);
            _metrics.NoiseMultiplier.Set(status.Mechanism.NoiseMultiplier);
            _metrics.SamplingRate.Set(status.Mechanism.SamplingRate);
            _metrics.PrivacyLevel.WithLabels(status.Level).Set(1);
        }
        else
        {
            _metrics.PrivacyLevel.WithLabels(PrivacyLevels.Off).Set(1);
        }
    }

    /// <summary>The audit line's statement of the guarantee a release was made under (level and mechanism).</summary>
    public string PrivacyNote()
    {
        if (_parts.Ledger?.Options is not { } o)
        {
            return "privacy off";
        }

        return o.Level == PrivacyLevel.Record
            ? string.Create(CultureInfo.InvariantCulture, $"privacy record: DP-SGD q={o.SamplingRate:G4} sigma={o.NoiseMultiplier:G4} C={o.ClipNorm:G4} steps={o.StepsPerRelease}")
            : string.Create(CultureInfo.InvariantCulture, $"privacy node: whole update sigma={o.NoiseMultiplier:G4} C={o.ClipNorm:G4}");
    }

    /// <summary>
    /// The counters of <see cref="Status"/> without its peer list, privacy record and strings: what a caller reading
    /// every node every round needs (netsim's per-round sample; building each node's sorted peer list for it was
    /// 1.7 % of a 1,000-node run's CPU). <paramref name="sessions"/> is the count <see cref="Status"/> lists.
    /// </summary>
    public NodeCounters Counters(int sessions) => new(
        Round,
        _metrics.BytesInTotal,
        _metrics.BytesOutTotal,
        sessions,
        _parts.Ledger?.GetStatus().SpentEpsilon ?? 0);

    /// <summary>A snapshot for `fedmesh status`, the admin endpoint and the demo table.</summary>
    public NodeStatus Status(string listen, IEnumerable<PeerSession> sessions)
    {
        PrivacyBudgetStatus? privacy = _parts.Ledger?.GetStatus();
        DateTimeOffset now = _parts.Time.GetUtcNow();
        var peers = sessions
            .Select(s => new PeerStatus(
                s.Peer.Value,
                s.Address,
                Connected: true,
                _parts.Reputation is { } reputation && reputation.TryGetTrust(s.Peer, out double t) ? t : 0.5,
                s.Initiator ? "outbound" : "inbound",
                SecondsSinceSeen: Math.Max(0, (now - s.LastReceived).TotalSeconds)))
            .OrderBy(p => p.PeerId, StringComparer.Ordinal)
            .ToArray();
        return new NodeStatus
        {
            PeerId = _parts.Identity.PeerId.Value,
            MeshId = _parts.MeshName,
            Listen = listen,
            Round = Round,
            UptimeSeconds = (now - _started).TotalSeconds,
            LastTrainLoss = _lastTrainLoss,
            LastHeldOutBpc = _lastBpc,
            BaseHeldOutBpc = _baseBpc,
            Privacy = privacy is null
                ? new PrivacyStatus(false, 0, 0, 0, PrivacyStatus.Off)
                : !_parts.PrivacyEnabled
                ? new PrivacyStatus(false, privacy.SpentEpsilon, privacy.BudgetEpsilon, privacy.Delta, PrivacyStatus.Off)
                : new PrivacyStatus(
                    true, privacy.SpentEpsilon, privacy.BudgetEpsilon, privacy.Delta, privacy.State.ToString().ToLowerInvariant(), privacy.Level,
                    privacy.Mechanism.NoiseMultiplier, privacy.Mechanism.SamplingRate, privacy.Mechanism.ClipNorm, privacy.Mechanism.Steps)
                {
                    Reason = privacy.State is PrivacyBudgetState.Truncated or PrivacyBudgetState.Exhausted ? privacy.Message : null,
                },
            DeltasSent = Interlocked.Read(ref _deltasSent),
            DeltasReceived = Interlocked.Read(ref _deltasReceived),
            DeltasMerged = Interlocked.Read(ref _deltasMerged),
            DeltasRejected = Interlocked.Read(ref _deltasRejected),
            BytesIn = _metrics.BytesInTotal,
            BytesOut = _metrics.BytesOutTotal,
            Peers = peers,
        };
    }
}
