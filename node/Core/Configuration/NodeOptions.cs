namespace FedMesh.Node.Configuration;

/// <summary>
/// Everything a node reads from <c>fedmesh.toml</c>, one record per TOML section. The set of keys, their TOML
/// names, documentation and valid ranges live in <see cref="ConfigKeys"/>; the defaults live in each section's
/// <c>Default</c> with the reason for each value.
/// </summary>
public sealed record NodeOptions
{
    /// <summary>All sections at their documented defaults.</summary>
    public static readonly NodeOptions Default = new();

    public NodeSection Node { get; init; } = NodeSection.Default;

    public NetworkSection Network { get; init; } = NetworkSection.Default;

    public MembershipSection Membership { get; init; } = MembershipSection.Default;

    public GossipSection Gossip { get; init; } = GossipSection.Default;

    public LearningSection Learning { get; init; } = LearningSection.Default;

    public DataSection Data { get; init; } = DataSection.Default;

    public MergeSection Merge { get; init; } = MergeSection.Default;

    public PrivacySection Privacy { get; init; } = PrivacySection.Default;

    public TrustSection Trust { get; init; } = TrustSection.Default;

    public EndpointSection Metrics { get; init; } = EndpointSection.DefaultMetrics;

    public EndpointSection Admin { get; init; } = EndpointSection.DefaultAdmin;

    public CheckpointSection Checkpoints { get; init; } = CheckpointSection.Default;
}
