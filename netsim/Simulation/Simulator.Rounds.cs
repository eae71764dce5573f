using System.Numerics.Tensors;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Attacks;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Simulation;

/// <summary>Round starts (events, churn, reconnects), each node's round, Byzantine releases, metrics.</summary>
public sealed partial class Simulator
{
    /// <summary>Timed events of this round, then churn, then reconnects, in that order (all at the window start).</summary>
    private void BeginRound(int round)
    {
        foreach (ScenarioEvent e in _scenario.Events)
        {
            if (e.Round == round)
            {
                Apply(e);
            }
        }

        ApplyChurn(round);
        Reconnect();
    }

    private void RunNodeRound(SimNode node, int round)
    {
        if (!node.Up)
        {
            return;
        }

        node.Coordinator!.Neighbours = node.Engine!.ReadyPeers.Count();
        RoundReport report = node.Coordinator.RunRound(CancellationToken.None);
        node.LastReport = report;
        node.RoundsRun++;
        if (report.Released is { } released)
        {
            float[] state = DeltaDecoder.DecodeFlat(released.Manifest, report.ReleasedPayload.Span);
            (SignedDelta delta, ReadOnlyMemory<byte> payload) = node.Byzantine
                ? Attack(node, released, state, round)
                : (released, report.ReleasedPayload);
            node.Engine!.Publish(delta, payload);
            node.ReleaseHistory.Insert(0, state);
            if (node.ReleaseHistory.Count > ReplayDepth + 1)
            {
                node.ReleaseHistory.RemoveAt(node.ReleaseHistory.Count - 1);
            }
        }
        else if (report.NotReleasedReason is { } reason && _budgetLogged.Add(node.Index))
        {
            // Logged the first time per node: after that every round is refused for the same reason (budget spent).
            Log($"node {node.Index}: round {round}: nothing released: {reason}");
        }

        // The daemon checkpoints after every round; a crash loses at most the round in progress.
        node.Checkpoint = node.Learner.GetAdapter();
        node.LastSequence = node.Coordinator.LastSequence;
    }

    /// <summary>Rounds back a replaying attacker resends from. 3: older than the staleness discount's sweet spot
    /// but within its cap, so the replayed state is still merged (Replay's harm is dragging consensus back).</summary>
    internal const int ReplayDepth = 3;

    private readonly HashSet<int> _budgetLogged = [];

    /// <summary>
    /// A Byzantine node replaces its honest release by an attacked state signed with its own key under the same
    /// sequence and time, so it is exactly as valid on the wire. The adapter state is itself a delta to the base
    /// model, so the attack library applies to it directly: per-attacker attacks transform the attacker's own
    /// honest state, ALIE and IPM are omniscient and use every honest node's current state.
    /// </summary>
    private (SignedDelta, ReadOnlyMemory<byte>) Attack(SimNode node, SignedDelta released, float[] honestState, int round)
    {
        IReadOnlyList<ReadOnlyMemory<float>> honest = Internal.ByzantineRelease.NeedsAllHonest(_scenario.Byzantine.Attack)
            ? HonestNodes.Where(i => _nodes[i].Up).Select(i => (ReadOnlyMemory<float>)(_nodes[i].ReleaseHistory.Count > 0 ? _nodes[i].ReleaseHistory[0] : _nodes[i].Learner.GetAdapter())).DefaultIfEmpty(honestState).ToArray()
            : [honestState];
        float[] previous = node.ReleaseHistory.Count > 0 ? node.ReleaseHistory[^1] : honestState;
        float[] attacked = Internal.ByzantineRelease.Craft(_scenario, node.Index, _graph[node.Index], i => _nodes[i].Byzantine, honest, previous, round);
        EncodedDelta encoded = DeltaEncoder.EncodeFlat(Mesh.Schema, attacked, _scenario.Gossip.Encoding);
        var header = new DeltaHeader
        {
            MeshId = Mesh.MeshId,
            BaseModelHash = Mesh.BaseModelHash,
            Schema = Mesh.Schema,
            Sequence = released.Manifest.Sequence,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)released.Manifest.TimestampMs),
            Privacy = released.Manifest.Privacy,
        };
        return (SignedDelta.Create(node.Key, header, encoded), encoded.Payload);
    }

    private void RecordRound(int round)
    {
        var consensus = new float[Mesh.Schema.TotalElements];
        int honestUp = 0;
        foreach (int i in HonestNodes)
        {
            if (_nodes[i].Up)
            {
                TensorPrimitives.Add(consensus, _nodes[i].Learner.GetAdapter(), consensus);
                honestUp++;
            }
        }

        if (honestUp > 0)
        {
            TensorPrimitives.Multiply(consensus, 1f / honestUp, consensus);
        }

        double lossSum = 0, consensusSum = 0, optimumSum = 0, optimumMax = 0, epsilonMax = 0;
        long bytesIn = 0, bytesOut = 0;
        foreach (SimNode node in _nodes)
        {
            float[] x = node.Learner.GetAdapter();
            double loss = LearningTask.Score(node.Index, node.Learner);
            double toConsensus = TensorPrimitives.Distance(x, consensus);
            double toOptimum = Optimum is null ? double.NaN : TensorPrimitives.Distance(x, Optimum);
            double epsilon = node.Ledger?.GetStatus().SpentEpsilon ?? 0;
            long rin = node.BytesIn - node.RecordedBytesIn;
            long rout = node.BytesOut - node.RecordedBytesOut;
            (node.RecordedBytesIn, node.RecordedBytesOut) = (node.BytesIn, node.BytesOut);
            RoundReport? report = node.Up ? node.LastReport : null;
            _records.Add(new NodeRoundRecord(
                round, node.Index, node.Byzantine, node.Up, loss, toConsensus, toOptimum, epsilon, rin, rout,
                node.Up ? node.Engine!.ReadyPeers.Count() : 0, report?.Merged ?? 0, report?.Rejected ?? 0, report?.Adopted ?? false));
            if (!node.Byzantine && node.Up)
            {
                lossSum += loss;
                consensusSum += toConsensus;
                optimumSum += toOptimum;
                optimumMax = Math.Max(optimumMax, toOptimum);
                epsilonMax = Math.Max(epsilonMax, epsilon);
                bytesIn += rin;
                bytesOut += rout;
            }
        }

        int n = Math.Max(1, honestUp);
        _summaries.Add(new RoundSummary(round, honestUp, lossSum / n, consensusSum / n, optimumSum / n, optimumMax, epsilonMax, bytesIn, bytesOut));
    }
}
