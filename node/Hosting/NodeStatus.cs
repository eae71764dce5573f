namespace FedMesh.Node.Hosting;

/// <summary>What `fedmesh status` shows: a snapshot of a running node, served as JSON by the admin endpoint.</summary>
public sealed record NodeStatus
{
    public required string PeerId { get; init; }

    public required string MeshId { get; init; }

    public required string Listen { get; init; }

    public long Round { get; init; }

    public double UptimeSeconds { get; init; }

    public double? LastTrainLoss { get; init; }

    public double? LastHeldOutBpc { get; init; }

    public double? BaseHeldOutBpc { get; init; }

    public required PrivacyStatus Privacy { get; init; }

    public long DeltasSent { get; init; }

    public long DeltasReceived { get; init; }

    public long DeltasMerged { get; init; }

    public long DeltasRejected { get; init; }

    public long BytesIn { get; init; }

    public long BytesOut { get; init; }

    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];
}

/// <summary>Privacy budget as `status` shows it.</summary>
public sealed record PrivacyStatus(double EpsilonSpent, double EpsilonBudget, double Delta, string State)
{
    /// <summary>Why releases are refused when they are (e.g. the ledger is truncated and what the operator must
    /// do); null otherwise.</summary>
    public string? Reason { get; init; }
}

/// <summary>One peer as `status`/`peers` show it.</summary>
public sealed record PeerStatus(string PeerId, string Address, bool Connected, double Trust, string Source, double? SecondsSinceSeen);
