namespace FedMesh.Node.Hosting;

/// <summary>What `fedmesh status` shows: a snapshot of a running node, served as JSON by the admin endpoint.</summary>
public sealed record NodeStatus
{
    public required string PeerId { get; init; }

    public required string MeshId { get; init; }

    public required string Listen { get; init; }

    public long Round { get; init; }

    public double UptimeSeconds { get; init; }

    /// <summary>Mean training loss of the last round in nats per byte (natural log; the model predicts bytes).</summary>
    public double? LastTrainLoss { get; init; }

    /// <summary>Held-out bits per byte (log base 2) after the last round; <see cref="BaseHeldOutBpc"/> is the base model's.</summary>
    public double? LastHeldOutBpc { get; init; }

    public double? BaseHeldOutBpc { get; init; }

    public required PrivacyStatus Privacy { get; init; }

    public long DeltasSent { get; init; }

    public long DeltasReceived { get; init; }

    public long DeltasMerged { get; init; }

    public long DeltasRejected { get; init; }

    /// <summary>Wire bytes received since start, over every connection (closed ones included), as /metrics counts them.</summary>
    public long BytesIn { get; init; }

    /// <summary>Wire bytes sent since start, over every connection (closed ones included), as /metrics counts them.</summary>
    public long BytesOut { get; init; }


    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];
}

/// <summary>Privacy budget as `status` shows it. <paramref name="Level"/> is "record", "node" or "off" (then ε and the
/// mechanism fields are 0 and <paramref name="State"/> is "off"); σ, q, C and the steps charged per round describe the
/// mechanism that applies.</summary>
/// <param name="Enabled">Whether DP is on (privacy.level is not "off").</param>
/// <param name="State">"ok", "warning", "exhausted", "truncated" (releases refused until an operator acts), or "off" when DP is off.</param>
public sealed record PrivacyStatus(
    bool Enabled, double EpsilonSpent, double EpsilonBudget, double Delta, string State,
    string Level = Privacy.PrivacyLevels.Off, double NoiseMultiplier = 0, double SamplingRate = 0, double ClipNorm = 0, long StepsPerRound = 0)
{
    /// <summary><see cref="State"/> of a node with DP off.</summary>
    public const string Off = "off";

    /// <summary>Why releases are refused when they are (e.g. the ledger is truncated and what the operator must
    /// do); null otherwise.</summary>
    public string? Reason { get; init; }
}

/// <summary>One peer as `status`/`peers` show it.</summary>
public sealed record PeerStatus(string PeerId, string Address, bool Connected, double Trust, string Source, double? SecondsSinceSeen);

/// <summary>
/// What <see cref="NodeRuntime.GetCounters"/> reads: the round, wire bytes, open sessions and ε spent of
/// <see cref="NodeStatus"/> (the same values: <see cref="NodeStatus.Round"/>, <see cref="NodeStatus.BytesIn"/>,
/// <see cref="NodeStatus.BytesOut"/>, <see cref="NodeStatus.Peers"/>' count, <see cref="PrivacyStatus.EpsilonSpent"/>)
/// without building its peer list.
/// </summary>
public readonly record struct NodeCounters(long Round, long BytesIn, long BytesOut, int Peers, double EpsilonSpent);
