using FedMesh.Node.Gossip;
using FedMesh.Node.Mesh;
using FedMesh.Node.Merge;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Identity;
using FedMesh.Protocol.Messages;

namespace FedMesh.NetSim.Simulation;

/// <summary>Node processes: start (fresh or from the checkpoint), stop (crash or leave), connections.</summary>
public sealed partial class Simulator
{
    /// <summary>A connection younger than this is left alone by <see cref="Reconnect"/>: its Hellos may still be in
    /// flight (links take milliseconds; 1 s is far beyond any configured latency plus jitter).</summary>
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(int, int), (int Generation, TimeSpan Since)> _connections = [];

    /// <summary>Starts a node's process: ledger reopened from its file, adapter from the checkpoint, a new gossip
    /// engine and round coordinator (sequences resume after the persisted one), connections to reachable neighbours.</summary>
    internal void StartProcess(SimNode node, string why)
    {
        if (node.Up || node.Left)
        {
            return;
        }

        node.Incarnation++;
        node.Up = true;
        Network.SetDown(node.Index, false);
        node.Learner.SetAdapter(node.Checkpoint);
        PrivacyOptions? privacy = _scenario.Privacy;
        if (privacy is not null)
        {
            node.Ledger = PrivacyLedger.Open(new FedMesh.Node.Storage.StatePaths(node.StateDirectory).PrivacyLedger, privacy, Clock);
        }

        var aggregator = new RobustAggregator(new AggregatorOptions
        {
            Rule = _scenario.Rule,
            // One thread: the simulator is single-threaded by design (determinism), and blocks of d ≤ 256 are one block anyway.
            MaxDegreeOfParallelism = 1,
        });
        ValidationGate? gate = _scenario.ValidationGate
            ? new ValidationGate(_scenario.Gate, adapter => LearningTask.GateLoss(node.Index, node.Learner, adapter), node.Reputation)
            : null;
        LocalDpMechanism? dp = privacy is null
            ? null
            : new LocalDpMechanism(privacy, GaussianNoiseSource.CreateSeeded(SimSeeds.UInt64(_scenario.Seed, "dp", node.Index, node.Incarnation)));
        node.Coordinator = new RoundCoordinator(node.Learner, aggregator, node.Reputation, gate, dp, node.Ledger, node.Key, Mesh, Clock, new MeshOptions
        {
            LocalSteps = _scenario.Learner.LocalSteps,
            MaxMergeInputs = _scenario.Gossip.MaxMergeInputs,
            Mode = _scenario.Gossip.Mode,
            MixingDegree = _scenario.Gossip.Fanout,
            Encoding = _scenario.Gossip.Encoding,
            ErrorFeedback = _scenario.Gossip.ErrorFeedback,
            PrivacyEnabled = privacy is not null,
            RoundPeriod = _scenario.Period,
        });
        node.Coordinator.ResumeSequence(node.LastSequence);
        var hello = new HelloMessage
        {
            PublicKey = node.PublicKey,
            MeshId = Mesh.MeshId,
            BaseModelHash = Mesh.BaseModelHash,
            AdapterSchemaHash = Mesh.Schema.Hash,
            SoftwareVersion = "fedmesh-netsim",
        };
        node.Engine = new GossipEngine(
            Mesh,
            hello,
            GossipOptions.Default with { Fanout = _scenario.Gossip.Fanout, Mode = _scenario.Gossip.Mode, MaxDeltaAge = node.Coordinator.Options.StalenessHorizon },
            new SequenceTracker(),
            Clock,
            SimSeeds.Random(_scenario.Seed, "gossip", node.Index, node.Incarnation),
            new SimHost(this, node));
        node.LastReport = null;
        if (why != "start")
        {
            Log($"node {node.Index}: {why} (incarnation {node.Incarnation}, adapter from checkpoint, last sequence {node.LastSequence})");
        }

        foreach (int peer in _graph[node.Index])
        {
            Connect(node, _nodes[peer]);
        }
    }

    /// <summary>Stops a node's process: in-memory gossip and round state are lost, the ledger file and the
    /// checkpoint stay; neighbours see the connection drop.</summary>
    internal void StopProcess(SimNode node, bool leave, string why)
    {
        if (!node.Up)
        {
            node.Left |= leave;
            return;
        }

        node.Up = false;
        node.Left |= leave;
        node.Incarnation++;
        Network.SetDown(node.Index, true);
        node.Ledger?.Dispose();
        node.Ledger = null;
        node.Engine = null;
        node.Coordinator = null;
        foreach (int peer in _graph[node.Index])
        {
            if (_nodes[peer].Up)
            {
                _nodes[peer].Engine!.Disconnected(node.PeerId);
            }
        }

        Log($"node {node.Index}: {why}");
    }

    /// <summary>Both ends learn of the (authenticated) connection and send Hello over the simulated link.</summary>
    private void Connect(SimNode a, SimNode b)
    {
        if (!a.Up || !b.Up || !Network.CanReach(a.Index, b.Index))
        {
            return;
        }

        // A new connection: whatever the previous one still had in flight dies with it.
        var pair = Pair(a.Index, b.Index);
        _connections[pair] = (_connections.GetValueOrDefault(pair).Generation + 1, Clock.Elapsed);
        a.Engine!.Connected(b.PeerId, b.PublicKey);
        b.Engine!.Connected(a.PeerId, a.PublicKey);
    }

    /// <summary>An engine closed its connection to <paramref name="peer"/> (protocol violation): the other end sees the
    /// connection drop and anything still in flight on it is lost; the next round start reconnects.</summary>
    internal void CloseConnection(SimNode node, PeerId peer, string reason)
    {
        int other = IndexOf(peer);
        Log($"node {node.Index}: closed connection to node {other}: {reason}");
        if (other < 0)
        {
            return;
        }

        var pair = Pair(node.Index, other);
        _connections[pair] = (_connections.GetValueOrDefault(pair).Generation + 1, -ReconnectGrace);
        if (_nodes[other].Up)
        {
            _nodes[other].Engine!.Disconnected(node.PeerId);
        }
    }

    /// <summary>
    /// A partition severs the connections that cross it: both ends see them drop, as a daemon's transport does once
    /// its keep-alive times out (a partition lasting rounds is far longer than that). Left open, the engines would
    /// keep treating the severed peers as ready, and after the heal nothing would make them exchange what each side
    /// published meanwhile until the next anti-entropy tick (30 s, three 10 s rounds). Dropped, they are reconnected
    /// at the first round start after the heal, and the Hello catch-up (newest state per origin) brings each side
    /// the other's latest states before any node's round runs.
    /// </summary>
    private void DropSeveredConnections()
    {
        foreach (SimNode a in _nodes)
        {
            foreach (int peer in _graph[a.Index])
            {
                SimNode b = _nodes[peer];
                if (peer > a.Index && a.Up && b.Up && !Network.CanReach(a.Index, peer))
                {
                    var pair = Pair(a.Index, peer);
                    _connections[pair] = (_connections.GetValueOrDefault(pair).Generation + 1, -ReconnectGrace);
                    a.Engine!.Disconnected(b.PeerId);
                    b.Engine!.Disconnected(a.PeerId);
                }
            }
        }
    }

    /// <summary>Connection generation of the link a–b (messages carry it; a newer connection drops older ones).</summary>
    internal int ConnectionGeneration(int a, int b) => _connections.GetValueOrDefault(Pair(a, b)).Generation;

    private static (int, int) Pair(int a, int b) => a < b ? (a, b) : (b, a);

    /// <summary>
    /// Re-establishes neighbour connections that are not ready on both ends (a Hello lost to loss or a partition),
    /// as the daemon's reconnect scheduler would. Runs at round starts, when no Hello is in flight.
    /// </summary>
    private void Reconnect()
    {
        foreach (SimNode a in _nodes)
        {
            if (!a.Up)
            {
                continue;
            }

            HashSet<Protocol.Identity.PeerId> ready = [.. a.Engine!.ReadyPeers];
            foreach (int peer in _graph[a.Index])
            {
                SimNode b = _nodes[peer];
                bool fresh = _connections.TryGetValue(Pair(a.Index, peer), out var connection) && Clock.Elapsed - connection.Since < ReconnectGrace;
                if (peer > a.Index && b.Up && !fresh && Network.CanReach(a.Index, peer)
                    && (!ready.Contains(b.PeerId) || !b.Engine!.ReadyPeers.Contains(a.PeerId)))
                {
                    Connect(a, b);
                }
            }
        }
    }
}
