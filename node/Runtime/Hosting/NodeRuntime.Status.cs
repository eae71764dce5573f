namespace FedMesh.Node.Hosting;

public sealed partial class NodeRuntime
{
    private volatile bool _loopsStarted;

    /// <summary>Liveness and readiness for the admin endpoint's /healthz and /readyz.</summary>
    public NodeHealth GetHealth() => new(
        _loopsStarted,
        _listener is not null,
        _parts.Rounds is null || _parts.Learner is not null,
        Volatile.Read(ref _stopping) is not null,
        Fault is { } fault ? $"{fault.Loop} loop: {fault.Exception.Message}" : null);

    /// <summary>True while <see cref="GetHealth"/> says ready (fedmesh_ready).</summary>
    public bool IsReady => GetHealth().Ready;

    /// <summary>A snapshot for `fedmesh status`, the admin endpoint and the demo table.</summary>
    public NodeStatus GetStatus()
    {
        Privacy.PrivacyBudgetStatus? privacy = _parts.Ledger?.GetStatus();
        var trust = (_parts.Reputation?.Snapshot() ?? []).ToDictionary(t => t.Peer, t => t.Trust);
        var peers = _sessions.Values
            .Select(s => new PeerStatus(
                s.Peer.Value,
                s.Address,
                Connected: true,
                trust.TryGetValue(s.Peer, out double t) ? t : 0.5,
                s.Initiator ? "outbound" : "inbound",
                SecondsSinceSeen: null))
            .OrderBy(p => p.PeerId, StringComparer.Ordinal)
            .ToArray();
        return new NodeStatus
        {
            PeerId = Self.Value,
            MeshId = _parts.MeshName,
            Listen = ListenEndPoint?.ToString() ?? string.Empty,
            Round = Interlocked.Read(ref _round),
            UptimeSeconds = (_parts.Time.GetUtcNow() - _started).TotalSeconds,
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
                    Reason = privacy.State is Privacy.PrivacyBudgetState.Truncated or Privacy.PrivacyBudgetState.Exhausted ? privacy.Message : null,
                },
            DeltasSent = Interlocked.Read(ref _deltasSent),
            DeltasReceived = Interlocked.Read(ref _deltasReceived),
            DeltasMerged = Interlocked.Read(ref _deltasMerged),
            DeltasRejected = Interlocked.Read(ref _deltasRejected),
            BytesIn = Interlocked.Read(ref _bytesIn),
            BytesOut = Interlocked.Read(ref _bytesOut),
            Peers = peers,
        };
    }

    private void SavePeerBook()
    {
        if (_parts.PeerBook is { } book && _parts.PeerBookPath is { } path)
        {
            try
            {
                book.Save(path);
            }
            catch (IOException ex)
            {
                Log.PeerBookSaveFailed(_logger, path, ex.Message);
            }
        }
    }
}
