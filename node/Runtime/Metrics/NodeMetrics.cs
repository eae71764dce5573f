using FedMesh.Node.Metrics.Internal;
using Prometheus;

namespace FedMesh.Node.Metrics;

/// <summary>
/// The node's Prometheus metrics. Each node owns its own <see cref="CollectorRegistry"/> (not the process-wide
/// default), so several nodes can live in one process (tests, netsim) without mixing their numbers.
/// </summary>
public sealed class NodeMetrics
{
    /// <summary>The peer-divergence series: the origins of the last round's merge (<see cref="RecordRound"/>).</summary>
    private readonly LabelledGaugeSeries _divergence;

    /// <summary>Wire bytes since start over every connection (<see cref="CountBytesIn"/>, <see cref="CountBytesOut"/>):
    /// the totals <see cref="BytesIn"/> and <see cref="BytesOut"/> take at each collection.</summary>
    private long _bytesIn;
    private long _bytesOut;

    public NodeMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Rounds = factory.CreateCounter("fedmesh_rounds_total", "Gossip rounds completed.");
        DeltasOut = factory.CreateCounter("fedmesh_deltas_sent_total", "Own deltas released (signed and announced).");
        DeltasIn = factory.CreateCounter("fedmesh_deltas_received_total", "Deltas received and verified.");
        DeltasRejected = factory.CreateCounter(
            "fedmesh_deltas_rejected_total",
            "Deltas rejected, by reason.",
            new CounterConfiguration { LabelNames = ["reason"] });
        BytesIn = factory.CreateCounter("fedmesh_bytes_received_total", "Wire bytes received over all connections.");
        BytesOut = factory.CreateCounter("fedmesh_bytes_sent_total", "Wire bytes sent over all connections.");
        MergeSeconds = factory.CreateHistogram(
            "fedmesh_merge_seconds",
            "Time to aggregate received deltas.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        TrainLoss = factory.CreateGauge("fedmesh_train_loss", "Mean training loss of the last local round (nats per byte).");
        HeldOutBpc = factory.CreateGauge("fedmesh_heldout_bpc", "Held-out bits per byte after the last round.");
        BaseHeldOutBpc = factory.CreateGauge("fedmesh_base_heldout_bpc", "Held-out bits per byte of the base model alone (zero adapter), measured at start: the line fedmesh_heldout_bpc must stay below.");
        EpsilonSpent = factory.CreateGauge("fedmesh_privacy_epsilon_spent", "Differential-privacy epsilon spent so far.");
        EpsilonBudget = factory.CreateGauge("fedmesh_privacy_epsilon_budget", "Configured epsilon budget.");
        LedgerTruncated = factory.CreateGauge(
            "fedmesh_privacy_ledger_truncated",
            "1 when the privacy ledger is shorter than its anchor (records were cut off): releases are refused until an operator acts.");
        NoiseMultiplier = factory.CreateGauge("fedmesh_privacy_noise_multiplier", "DP noise multiplier sigma of the current mechanism.");
        SamplingRate = factory.CreateGauge("fedmesh_privacy_sampling_rate", "DP sampling rate q per step (record level: B/n; node level: 1).");
        PrivacyLevel = factory.CreateGauge(
            "fedmesh_privacy_level",
            "1 for the privacy level that applies: record (DP-SGD per document), node (whole update) or off.",
            new GaugeConfiguration { LabelNames = ["level"] });
        Peers = factory.CreateGauge("fedmesh_peers", "Connected peers.");
        ConnectionsRefused = factory.CreateCounter("fedmesh_connections_refused_total", "Inbound connections refused at accept (address rate limit or no free slot).");
        Trust = factory.CreateGauge(
            "fedmesh_peer_trust",
            "Trust score per peer the reputation tracker holds (0..1; at most reputation.max_peers series), read at each scrape.",
            new GaugeConfiguration { LabelNames = ["peer"] });

        (string version, string commit, string runtime) = BuildInfo.Current;
        factory.CreateGauge(
            "fedmesh_build_info",
            "Always 1; the labels say which build runs (version, git commit, .NET runtime).",
            new GaugeConfiguration { LabelNames = ["version", "commit", "runtime"] }).WithLabels(version, commit, runtime).Set(1);
        Ready = factory.CreateGauge("fedmesh_ready", "1 once the node is ready (model loaded, listening, loops running); 0 while starting or stopping.");

        // Drift: how far this node's data pulls it from what the mesh agrees on (issue 17).
        DriftDistance = factory.CreateGauge(
            "fedmesh_drift_distance",
            "L2 distance between the node's own state after local training and the state it adopted at the end of the last round that merged (0 when the merge was not adopted).");
        DriftBpcGap = factory.CreateGauge(
            "fedmesh_drift_bpc_gap",
            "Held-out bits per byte of the merged candidate minus that of the node's own state, as the validation gate measured them in the last round that merged; above 0 the mesh's model fits this node's data worse than its own does.");
        GateEvaluations = factory.CreateCounter("fedmesh_gate_evaluations_total", "Merged candidates scored by the validation gate.");
        GateRejections = factory.CreateCounter("fedmesh_gate_rejections_total", "Merged candidates the validation gate refused (the node kept its own state).");
        UpdateNorm = factory.CreateGauge("fedmesh_update_norm", "L2 norm of the last round's local update before privatization (0 for a round that did not train; NaN or +Inf for a diverged update, which was discarded).");
        PeerDivergence = factory.CreateGauge(
            "fedmesh_peer_divergence",
            "L2 distance between each origin's newest state and this node's own state in the last round's merge.",
            new GaugeConfiguration { LabelNames = ["peer"] });
        _divergence = new LabelledGaugeSeries(PeerDivergence);
        ReleasesRefused = factory.CreateCounter(
            "fedmesh_privacy_releases_refused_total",
            "Rounds whose release the privacy ledger refused (budget exhausted or ledger truncated); nothing left the node.");
        ReputationUnscoredRounds = factory.CreateCounter(
            "fedmesh_reputation_unscored_rounds_total",
            "Merges that recorded no distance scores in reputation: at least half of their inputs were states pulled in by the distance bound (a round a far majority set the aggregate of).");

        // process_* (CPU, memory, threads, handles, start time) and dotnet_* (GC collections, heap size) for this
        // process; registered per registry, so each in-process node of a test exports them too.
        DotNetStats.Register(Registry);

        // The byte counters are brought up to the running totals when the registry is collected (every scrape and
        // export), not incremented per frame: a Prometheus counter increment on every frame read and written (its
        // child and value reached through three objects) was, with the running totals, 1.9 % of a 1,000-node netsim
        // run's CPU samples. A scrape shows the same totals; only Counter.Value read without a collection lags.
        Registry.AddBeforeCollectCallback(() =>
        {
            BytesIn.IncTo(BytesInTotal);
            BytesOut.IncTo(BytesOutTotal);
        });
    }

    /// <summary>Wire bytes received since start, closed connections included (what <see cref="BytesIn"/> exports).</summary>
    public long BytesInTotal => Interlocked.Read(ref _bytesIn);

    /// <summary>Wire bytes sent since start, closed connections included (what <see cref="BytesOut"/> exports).</summary>
    public long BytesOutTotal => Interlocked.Read(ref _bytesOut);

    /// <summary>Counts <paramref name="wire"/> bytes received (thread-safe; every frame).</summary>
    public void CountBytesIn(long wire) => Interlocked.Add(ref _bytesIn, wire);

    /// <summary>Counts <paramref name="wire"/> bytes sent (thread-safe; every frame).</summary>
    public void CountBytesOut(long wire) => Interlocked.Add(ref _bytesOut, wire);

    /// <summary>Every metric family this node exports, as Prometheus names them (histograms and summaries expand to
    /// _bucket/_sum/_count in the exposition). The dashboard and alert-rule tests check their references against this.</summary>
    public async Task<IReadOnlySet<string>> ExportedNamesAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await ExportAsync(buffer, cancellationToken).ConfigureAwait(false);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                names.Add(parts[2]);
                if (parts[3] is "histogram" or "summary")
                {
                    names.UnionWith([parts[2] + "_bucket", parts[2] + "_sum", parts[2] + "_count"]);
                }
            }
        }

        return names;
    }

    public CollectorRegistry Registry { get; }

    public Counter Rounds { get; }

    public Counter DeltasOut { get; }

    public Counter DeltasIn { get; }

    public Counter DeltasRejected { get; }

    public Counter BytesIn { get; }

    public Counter BytesOut { get; }

    public Histogram MergeSeconds { get; }

    public Gauge TrainLoss { get; }

    public Gauge HeldOutBpc { get; }

    public Gauge BaseHeldOutBpc { get; }

    public Gauge EpsilonSpent { get; }

    public Gauge EpsilonBudget { get; }

    public Gauge LedgerTruncated { get; }
    public Gauge NoiseMultiplier { get; }

    public Gauge SamplingRate { get; }

    public Gauge PrivacyLevel { get; }

    public Gauge Peers { get; }

    public Counter ConnectionsRefused { get; }

    public Gauge Trust { get; }

    /// <summary>fedmesh_ready: 1 while <see cref="Hosting.NodeRuntime.IsReady"/>.</summary>
    public Gauge Ready { get; }

    public Gauge DriftDistance { get; }

    public Gauge DriftBpcGap { get; }

    public Counter GateEvaluations { get; }

    public Counter GateRejections { get; }

    public Gauge UpdateNorm { get; }

    public Gauge PeerDivergence { get; }

    public Counter ReleasesRefused { get; }

    public Counter ReputationUnscoredRounds { get; }

    /// <summary>The drift, gate and release metrics of one finished round.</summary>
    public void RecordRound(Mesh.RoundReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        UpdateNorm.Set(report.UpdateNorm);
        if (report.NotReleasedReason is not null)
        {
            ReleasesRefused.Inc();
        }

        if (report.ReputationUnscored)
        {
            ReputationUnscoredRounds.Inc();
        }

        if (report.DriftDistance is { } drift)
        {
            DriftDistance.Set(drift);
        }

        if (report.GateLosses is { } losses)
        {
            GateEvaluations.Inc();
            if (!report.Adopted)
            {
                GateRejections.Inc();
            }

            double gap = Learning.LanguageModelMath.BitsPerByte(losses.Candidate) - Learning.LanguageModelMath.BitsPerByte(losses.Own);
            if (double.IsFinite(gap))
            {
                DriftBpcGap.Set(gap);
            }
        }

        // One series per origin of the last round's merge, as the gauge's help says: an origin that is not in this
        // round's merge loses its series. Before, every origin a node had ever merged kept one for good (in a
        // 1,000-node mesh, hundreds per node), and each round looked every label up again.
        _divergence.Replace(report.PeerDivergence);
    }

    /// <summary>Writes the Prometheus text exposition format.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
