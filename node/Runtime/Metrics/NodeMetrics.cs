using Prometheus;

namespace FedMesh.Node.Metrics;

/// <summary>
/// The node's Prometheus metrics. Each node owns its own <see cref="CollectorRegistry"/> (not the process-wide
/// default), so several nodes can live in one process (tests, netsim) without mixing their numbers.
/// </summary>
public sealed class NodeMetrics
{
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
            "Trust score per known peer (0..1).",
            new GaugeConfiguration { LabelNames = ["peer"] });
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

    public Gauge EpsilonSpent { get; }

    public Gauge EpsilonBudget { get; }

    public Gauge LedgerTruncated { get; }
    public Gauge NoiseMultiplier { get; }

    public Gauge SamplingRate { get; }

    public Gauge PrivacyLevel { get; }

    public Gauge Peers { get; }

    public Counter ConnectionsRefused { get; }

    public Gauge Trust { get; }

    /// <summary>Writes the Prometheus text exposition format.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
