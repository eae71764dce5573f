using FedMesh.Node.Attacks;
using FedMesh.Node.Configuration;
using FedMesh.Node.Gossip;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Node.Merge;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Scenarios;

/// <summary>Graph families of <see cref="Network.Topology"/>.</summary>
public enum TopologyKind
{
    Full,
    RandomRegular,
    SmallWorld,
    Clusters,
}

/// <summary>Which learner every simulated node runs.</summary>
public enum LearnerKind
{
    /// <summary><see cref="SurrogateLearner"/>: linear regression with a known optimum.</summary>
    Surrogate,

    /// <summary>The real byte-level model (<see cref="Node.Learning.TorchLearner"/>) on the SOTU corpus: see <see cref="TorchSpec"/>.</summary>
    Torch,
}

/// <summary>A complete simulation, as read from a scenario file (see netsim/scenarios/README.md).</summary>
public sealed record Scenario
{
    /// <summary>Name for outputs and logs (the file name without extension).</summary>
    public string Name { get; init; } = "scenario";

    public int Nodes { get; init; } = 8;

    public int Rounds { get; init; } = 30;

    /// <summary>Virtual time between a node's rounds. 10 s: the daemon's default gossip period.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(10);

    public ulong Seed { get; init; } = 1;

    public TopologySpec Topology { get; init; } = new();

    public Network.LinkProfile Links { get; init; } = Network.LinkProfile.Default;

    /// <summary>The file has a <c>[links]</c> section: the in-memory transport then applies <see cref="Links"/>
    /// (without one, and without degrade events, links are instant and lossless, which the large scale runs rely on).</summary>
    public bool LinksDeclared { get; init; }

    public GossipSpec Gossip { get; init; } = new();

    /// <summary>
    /// <c>simulated_crypto</c> (default false): sessions skip the handshake's X25519/Ed25519 and the AEAD
    /// (NodeParts.SimulatedCrypto; frames keep their real lengths, so byte counts do not change; deltas are still signed
    /// and verified). For the largest surrogate runs, where the handshakes of session churn are a sixth of the CPU; a
    /// run with it says so in its output.
    /// </summary>
    public bool SimulatedCrypto { get; init; }

    /// <summary><c>[membership]</c>: the daemon's peer-sampling settings (its <c>[membership]</c> keys and defaults).</summary>
    public FedMesh.Node.Configuration.MembershipSection Membership { get; init; } = FedMesh.Node.Configuration.MembershipSection.Default;

    public LearnerSpec Learner { get; init; } = new();

    public AggregationRule Rule { get; init; } = AggregatorOptions.Default.Rule;

    /// <summary>Run each node's validation gate on merged candidates.</summary>
    public bool ValidationGate { get; init; } = true;

    /// <summary>
    /// Trust settings of every node's reputation tracker. <see cref="NeutralTrust"/> (scenario key
    /// <c>merge.reputation = false</c>) keeps every weight at 1 so an aggregation rule can be measured alone.
    /// </summary>
    public ReputationOptions Reputation { get; init; } = ReputationOptions.Default;

    /// <summary>Trust still observed but never used: nothing is ignored (threshold 0), any positive trust gets
    /// full weight (the smallest positive double is the full-weight point), copy evidence shares no weight, and a merge
    /// of mostly far states is no evidence of attack (<see cref="ReputationOptions.UnscoredMemoryRounds"/> 0), so sessions
    /// never rotate under attack either: the rule alone, as before that evidence existed (ByzantineNeighboursTests'
    /// geometric-median control at scaling seed 5 ends at 0.384 with it, captured, above 1, without).</summary>
    public static readonly ReputationOptions NeutralTrust = ReputationOptions.Default with { IgnoreBelow = 0, FullWeightAbove = double.Epsilon, ShareCopyWeight = false, UnscoredMemoryRounds = 0 };

    /// <summary>Validation-gate margins, in the learner's loss units.</summary>
    public ValidationGateOptions Gate { get; init; } = ValidationGateOptions.Default;

    /// <summary>The nodes' <c>[privacy]</c> section (torch scenarios), resolved by each node as the daemon does;
    /// null: privacy off (nothing clipped or noised, no ledger).</summary>
    public FedMesh.Node.Configuration.PrivacySection? Privacy { get; init; }

    public ByzantineSpec Byzantine { get; init; } = new();

    public ChurnSpec Churn { get; init; } = new();

    /// <summary>Timed events in file order.</summary>
    public IReadOnlyList<ScenarioEvent> Events { get; init; } = [];
}

public sealed record TopologySpec
{
    public TopologyKind Kind { get; init; } = TopologyKind.Full;

    /// <summary>
    /// random_regular / small_world: neighbours per node. 8: a sparse graph whose paths stay short (≈ log N / log 7
    /// hops: 3 at 300 nodes), with more neighbours than the daemon's fanout of 3, so a node's pushes go to a changing
    /// subset of them.
    /// </summary>
    public int Degree { get; init; } = 8;

    /// <summary>small_world: rewiring probability. 0.1: Watts and Strogatz's small-world regime (short paths, high clustering).</summary>
    public double Rewire { get; init; } = 0.1;

    /// <summary>clusters: number of clusters.</summary>
    public int Clusters { get; init; } = 2;

    /// <summary>clusters: random edges between adjacent clusters. 2: a thin but not single-point bridge.</summary>
    public int Bridges { get; init; } = 2;
}

public sealed record GossipSpec
{
    /// <summary>
    /// The node's <c>gossip.fanout</c>, default the daemon's (3): peers a node pushes its release to each round in
    /// neighbours mode, and announces a new state to in flood mode. A scenario that wants another sets it in its file.
    /// </summary>
    public int Fanout { get; init; } = GossipSection.Default.Fanout;

    /// <summary>
    /// The node's <c>gossip.mode</c>, default the daemon's (neighbours: each node merges only its neighbours' own
    /// states, O(N · fanout) verifications a round; flood: every state reaches every node, N² verifications a round).
    /// </summary>
    public GossipMode Mode { get; init; } = GossipModes.Parse(GossipSection.Default.Mode);

    /// <summary>The node's <c>gossip.encoding</c> of released states, default the daemon's.</summary>
    public TensorEncoding Encoding { get; init; } = WireEncodings.Parse(GossipSection.Default.Encoding);

    /// <summary>The node's <c>gossip.density</c> (sparse encoding), default the daemon's.</summary>
    public double Density { get; init; } = FedMesh.Node.Mesh.MeshOptions.DefaultDensity;

    /// <summary>The node's <c>gossip.modulo_margin</c> (int8-wz encoding), default the daemon's.</summary>
    public double ModuloMargin { get; init; } = FedMesh.Node.Mesh.MeshOptions.Default.ModuloMargin;

    /// <summary>Error feedback on lossy encodings (the node always uses it; off only to measure what it buys).</summary>
    public bool ErrorFeedback { get; init; } = true;

    /// <summary>Most origins merged per round (the node's MaxMergeInputs).</summary>
    public int MaxMergeInputs { get; init; } = 32;

    /// <summary>
    /// The runtime's upkeep tick and heartbeat (<c>heartbeat_s</c>, the node's NodeParts.HeartbeatInterval): 1 s, the
    /// daemon's (SPEC.md §7). On the real runtime each tick is a Ping and a Pong per session: with ~20 sessions per
    /// node that is ~400 frames per node per 10 s round against ~20 for the gossip itself, so the largest scenarios
    /// tick once per round period (a silent peer is then suspected after ~30 s instead of ~16 s). 1..60 s: below the
    /// 90 s idle timeout, which a quiet session would otherwise hit.
    /// </summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);
}

public sealed record LearnerSpec
{
    public LearnerKind Kind { get; init; } = LearnerKind.Surrogate;

    /// <summary>Local SGD steps per round. 10: a round's update is well above the SGD noise on the surrogate.</summary>
    public int LocalSteps { get; init; } = 10;

    /// <summary>The surrogate task (dimension, samples, data split).</summary>
    public SurrogateOptions Surrogate { get; init; } = SurrogateOptions.Default;

    /// <summary>The real learner's settings (used when <see cref="Kind"/> is <see cref="LearnerKind.Torch"/>).</summary>
    public TorchSpec Torch { get; init; } = new();
}

public sealed record ByzantineSpec
{
    /// <summary>Fraction of nodes (rounded down) that are attackers; they are chosen by the seed.</summary>
    public double Fraction { get; init; }

    public AttackKind Attack { get; init; } = AttackKind.SignFlip;

    /// <summary>
    /// The attackers are chosen as usual but never start: the honest nodes run alone, with their own data and seeds.
    /// This is the clean baseline for "the robust rule is within x% of the clean run": a rule that shuts the attackers
    /// out can at best match the honest nodes without them, and with fewer nodes averaging their SGD noise the honest
    /// consensus sits further from the optimum (≈ √(N / honest) times) than a run where the attackers behave honestly.
    /// </summary>
    public bool Absent { get; init; }
}

public sealed record ChurnSpec
{
    /// <summary>Probability per node and round that an up node crashes. 0: no churn.</summary>
    public double Rate { get; init; }

    /// <summary>Rounds a crashed node stays down before it restarts from its checkpoint.</summary>
    public int DowntimeRounds { get; init; } = 2;
}

/// <summary>What a timed event does.</summary>
public enum ScenarioEventKind
{
    Partition,
    Heal,
    Crash,
    Restart,
    Join,
    Leave,
    Degrade,
}

/// <summary>One timed event, applied at the start of <see cref="Round"/> (virtual time (Round − 1) · period).</summary>
public sealed record ScenarioEvent
{
    public required ScenarioEventKind Kind { get; init; }

    public required int Round { get; init; }

    /// <summary>crash / restart / join / leave / degrade: the nodes concerned (degrade: empty = every link).</summary>
    public IReadOnlyList<int> Nodes { get; init; } = [];

    /// <summary>partition: named groups; nodes in no group form their own unnamed group.</summary>
    public IReadOnlyList<KeyValuePair<string, int[]>> Groups { get; init; } = [];

    /// <summary>degrade: the new profile of the affected nodes' links.</summary>
    public Network.LinkProfile? Link { get; init; }

    /// <summary>Line in the scenario file, for the event log.</summary>
    public int Line { get; init; }
}
