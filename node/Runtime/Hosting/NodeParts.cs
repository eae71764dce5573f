using System.Net;
using FedMesh.Node.Audit;
using FedMesh.Node.Discovery;
using FedMesh.Node.Gossip;
using FedMesh.Node.Membership;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Security;

namespace FedMesh.Node.Hosting;

/// <summary>Everything a running node is made of, assembled by <see cref="NodeFactory"/> (or a test/benchmark).</summary>
public sealed record NodeParts
{
    public required NodeIdentity Identity { get; init; }

    public required LocalMesh Mesh { get; init; }

    /// <summary>The mesh name (handshake binding and mDNS TXT); <see cref="LocalMesh.MeshId"/> is its hash.</summary>
    public required string MeshName { get; init; }

    public required IPEndPoint Listen { get; init; }

    public IReadOnlyList<Seed> Seeds { get; init; } = [];

    public IReadOnlySet<PeerId>? Allowlist { get; init; }

    public bool Mdns { get; init; }

    /// <summary>Most connections at once, handshakes in progress included (network.max_connections); split into
    /// inbound and outbound slots by <see cref="NodeRuntime.ConnectionLimitsFor"/>.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Most peers this node dials and keeps in its own view (network.max_peers): the dial loop stops dialling
    /// once this many sessions are open. Others may still connect to it, up to the inbound share of
    /// <see cref="MaxConnections"/>, so a newcomer can always join through a seed that is "full".</summary>
    public int MaxPeers { get; init; } = DefaultMaxPeers;

    /// <summary>
    /// Decrypt delta chunks straight into the gossip engine's assemblers (no pooled buffer, hashed while cache-hot).
    /// On by default, as the daemon runs; not a configuration key (a test may turn it off to compare with the pooled
    /// path). It was off for a while because two `fedmesh run` daemons stopped exchanging deltas in a walk-through;
    /// it did not recur with the placed path in tests or walks, and the cause found that fits it is a replaced session's
    /// late Bye making the gossip engine forget the peer (ConnectionManager's engine sessions; ReplacedSessionTests).
    /// </summary>
    public bool PlaceChunks { get; init; } = true;

    /// <summary>The Cyclon view and the overlay kept from it ([membership]; SPEC.md §9.10): view size, shuffle length
    /// and period, and how long a dialled session may stay outside the view.</summary>
    public PeerSamplingOptions PeerSampling { get; init; } = PeerSamplingOptions.Default;

    /// <summary>network.max_peers' default, as <see cref="Configuration.NetworkSection.MaxPeers"/> (where its reason is given).</summary>
    public const int DefaultMaxPeers = 16;

    /// <summary>The round loop's one decision about peers (whose verified states are offered for merging); flood
    /// (every verified state) when null. See <see cref="IRoundPeerPolicy"/>.</summary>
    public IRoundPeerPolicy? PeerPolicy { get; init; }

    /// <summary>Inbound connection attempts per remote address.</summary>
    public AddressRateOptions AddressRates { get; init; } = AddressRateOptions.Default;

    /// <summary>A handshake not finished within this is abandoned and its slot freed (SPEC.md §3).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeOptions.Default.Timeout;

    /// <summary>
    /// The upkeep tick (SPEC.md §7: stalled pulls move on, membership checks its failure detectors and shuffles) and
    /// the heartbeat: each tick the side that dialled a session sends it one Ping, which the other side answers.
    /// Default 1 s, SPEC.md §7's cadence. A longer tick trades slower detection of a silent peer (the φ detector
    /// learns the interval it hears; its 15 s acceptable pause comes on top) for fewer frames on quiet connections:
    /// netsim's largest meshes use one tick per round period (netsim/scenarios/README.md). Must be positive.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = DefaultHeartbeatInterval;

    /// <summary>SPEC.md §7: one Ping per second on each session.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(1);

    public GossipOptions Gossip { get; init; } = GossipOptions.Default;

    /// <summary>The learning side; null for a relay-only node (benchmarks).</summary>
    public RoundCoordinator? Rounds { get; init; }

    public Learning.ILearner? Learner { get; init; }

    /// <summary>Documents the node reports held-out bpc on (its local holdout).</summary>
    public IReadOnlyList<string> HeldOut { get; init; } = [];

    public TimeSpan RoundPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop after this many rounds (0 = run until stopped).</summary>
    public long MaxRounds { get; init; }

    public AuditLog? Audit { get; init; }

    public Privacy.PrivacyLedger? Ledger { get; init; }

    /// <summary>Whether deltas are noised and charged to <see cref="Ledger"/>; with DP off the ledger is kept only
    /// for what earlier releases spent, and status says "off" instead of that old budget state.</summary>
    public bool PrivacyEnabled { get; init; } = true;

    public Reputation.ReputationTracker? Reputation { get; init; }

    /// <summary>Address of the Prometheus endpoint ([metrics]); null = not served; port 0 picks a free one. When it
    /// equals <see cref="AdminListen"/> the admin endpoint's /metrics serves it.</summary>
    public IPEndPoint? MetricsListen { get; init; }

    public Storage.CheckpointStore? Checkpoints { get; init; }

    /// <summary>Peers this node knows (seeds, mDNS, peer exchange, connections); the dial loop dials from it. Null: an
    /// in-memory book is made (relay nodes in tests and benchmarks).</summary>
    public PeerBook? PeerBook { get; init; }

    /// <summary>Where <see cref="PeerBook"/> is saved (peers.json): periodically and at stop; null = not saved.</summary>
    public string? PeerBookPath { get; init; }

    public string? SequencePath { get; init; }

    /// <summary>Writes the current adapter in the export format (safetensors + JSON) after each round.</summary>
    public Action<Learning.ILearner>? Export { get; init; }

    /// <summary>Address of the admin endpoint ([admin]); null = not served; port 0 picks a free one.</summary>
    public IPEndPoint? AdminListen { get; init; }

    /// <summary>Where the bound ports are written at start (<see cref="NodeEndpoints"/>); null = nowhere.</summary>
    public string? EndpointsPath { get; init; }

    /// <summary>Where connections come from: TCP in the daemon, in-memory pipes in tests and the simulator.</summary>
    public Transport.ITransportFactory Transport { get; init; } = FedMesh.Node.Transport.TcpTransportFactory.Instance;

    /// <summary>
    /// Sessions skip the cryptography (<see cref="FedMesh.Protocol.Transport.ConnectionOptions.SimulatedCrypto"/>: keys in
    /// the clear, frames of the real lengths with zero tags): for a simulator's largest runs only, over an in-process
    /// <see cref="Transport"/> (<see cref="FedMesh.Node.Transport.ITransportFactory.InProcess"/>; the runtime refuses to start
    /// otherwise). Off by default; the daemon has no configuration key for it. Deltas are still signed and verified.
    /// </summary>
    public bool SimulatedCrypto { get; init; }

    /// <summary>The only clock the runtime reads (timers, timeouts, backoff, status).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Seeds every random choice the runtime makes (gossip fan-out, dial jitter, mDNS timing), so a host that
    /// passes a fixed seed gets the same choices each run.</summary>
    public int Seed { get; init; }
}
