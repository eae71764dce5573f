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

/// <summary>Privacy budget as `status` shows it. <paramref name="Level"/> is "record", "node" or "off" (then ε and the
/// mechanism fields are 0 and <paramref name="State"/> is "off"); σ, q, C and the steps charged per round describe the
/// mechanism that applies.</summary>
public sealed record PrivacyStatus(
    double EpsilonSpent, double EpsilonBudget, double Delta, string State,
    string Level = Privacy.PrivacyLevels.Off, double NoiseMultiplier = 0, double SamplingRate = 0, double ClipNorm = 0, long StepsPerRound = 0);

/// <summary>One peer as `status`/`peers` show it.</summary>
public sealed record PeerStatus(string PeerId, string Address, bool Connected, double Trust, string Source, double? SecondsSinceSeen);
