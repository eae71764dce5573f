using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Learning.Surrogate;

namespace FedMesh.NetSim.Simulation;

/// <summary>How one delta spread: relay depth and time until 99% of nodes held it, and wire cost per receiver.</summary>
/// <param name="Hops99">Relay generations (the epidemic "periods": origin → neighbours is 1) until 99% of nodes had it.</param>
/// <param name="Milliseconds99">Virtual time from publish until 99% of nodes had it.</param>
/// <param name="Reached">Nodes holding it at the end (origin included).</param>
/// <param name="BytesPerReceiverOverPayload">All wire bytes after publish ÷ receivers ÷ payload bytes.</param>
/// <param name="BytesPerReceiverOverDelta">The same ÷ (encoded manifest + payload) bytes.</param>
public sealed record DisseminationResult(int Nodes, int Hops99, double Milliseconds99, int Reached, double BytesPerReceiverOverPayload, double BytesPerReceiverOverDelta);

/// <summary>
/// Publishes one delta from node 0 of an N-node random regular mesh (flood mode, no rounds) and follows it with the
/// simulator's delivery probe. Every node runs the real gossip engine; the state is a surrogate adapter of
/// <c>floats</c> values with one sample per split (the learner is not used, only its schema).
/// </summary>
public static class DisseminationProbe
{
    /// <summary>16,384 fp32 = 64 KiB: the size class of a small LoRA adapter, large enough that per-message
    /// overheads (Have ≈ 90 B to each of 8 peers) show at their real weight relative to the payload.</summary>
    public const int DefaultFloats = 16_384;

    /// <summary>Virtual time allowed for the spread; far beyond what 1,000 nodes need on 100 Mbit/s links.</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromSeconds(120);

    /// <summary>Hellos are done well within one second of virtual time (links are milliseconds).</summary>
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    public static DisseminationResult Run(int nodes, int degree, int floats, ulong seed)
    {
        var scenario = new Scenario
        {
            Name = $"dissemination-{nodes}",
            Nodes = nodes,
            Rounds = 1,
            Seed = seed,
            Topology = new TopologySpec { Kind = TopologyKind.RandomRegular, Degree = degree },
            // Epidemic spread of one delta to every node is what this probe measures: flood mode, exact encoding.
            Gossip = new GossipSpec { Mode = Node.Gossip.GossipMode.Flood, Encoding = Protocol.Deltas.TensorEncoding.Float32 },
            Learner = new LearnerSpec
            {
                Surrogate = SurrogateOptions.Default with { Dimension = floats, TrainSamples = 1, TestSamples = 1, BatchSize = 1 },
            },
        };
        using var simulator = new Simulator(scenario);
        simulator.Start();
        simulator.Clock.RunUntil(Warmup);
        var depth = new int[nodes];
        var reachedAt = new TimeSpan[nodes];
        Array.Fill(depth, -1);
        int reached = 1;
        depth[0] = 0;
        string? id = null;
        simulator.DeltaReached = (node, delta, from) =>
        {
            if (delta.ContentIdHex == id && depth[node] < 0)
            {
                depth[node] = from >= 0 && depth[from] >= 0 ? depth[from] + 1 : 1;
                reachedAt[node] = simulator.Clock.Elapsed;
                reached++;
            }
        };

        long bytesBefore = simulator.Network.BytesDelivered;
        TimeSpan start = simulator.Clock.Elapsed;
        var state = new float[floats];
        for (int i = 0; i < state.Length; i++)
        {
            // Any finite values will do (golden-ratio sequence in [-0.5, 0.5)); only the size matters here.
            state[i] = (float)((i * 0.618033988749) % 1.0) - 0.5f;
        }

        var stored = simulator.PublishState(0, state);
        id = stored.ContentIdHex;
        reachedAt[0] = start;
        simulator.Clock.RunUntil(start + Horizon);
        long bytes = simulator.Network.BytesDelivered - bytesBefore;

        int target = (int)Math.Ceiling(0.99 * nodes);
        int[] order = Enumerable.Range(0, nodes).Where(i => depth[i] >= 0).OrderBy(i => reachedAt[i]).ToArray();
        int hops = order.Length >= target ? order.Take(target).Max(i => depth[i]) : -1;
        double ms = order.Length >= target ? (reachedAt[order[target - 1]] - start).TotalMilliseconds : double.NaN;
        double payload = stored.Payload.Length;
        double delta = payload + Protocol.Messages.MessageCodec.Encode(stored.Delta.Message).Length;
        int receivers = Math.Max(1, reached - 1);
        return new DisseminationResult(nodes, hops, ms, reached, bytes / (double)receivers / payload, bytes / (double)receivers / delta);
    }
}
