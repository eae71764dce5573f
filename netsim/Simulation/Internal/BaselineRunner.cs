using System.Globalization;
using System.Numerics.Tensors;
using FedMesh.Node.Learning;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Simulation.Internal;

/// <summary>
/// Local-only, centralized pooled and FedAvg-star training on the mesh's workload, each with R rounds × S local steps
/// (<see cref="BaselineResult"/>). Every learner here is new (adapter zero, fresh AdamW state) and trained on the
/// same texts, seed and settings as the mesh's nodes; libtorch with one thread makes the figures repeatable.
/// </summary>
internal sealed class BaselineRunner(SotuWorkload workload, int rounds, int localSteps, Action<string> info)
{
    /// <summary>The mesh's wire encoding of a state (what a FedAvg transfer would carry).</summary>
    private static readonly TensorEncoding Encoding = MeshOptions.Default.Encoding;

    private int Nodes => workload.Train.Count;

    public BaselineResult Run(CancellationToken cancellationToken = default)
    {
        double baseBpc;
        using (TorchLearner scorer = workload.NewLearner(workload.Train[0]))
        {
            baseBpc = scorer.EvaluateBase(workload.GlobalEval).BitsPerByte;
        }

        double[] local = LocalOnly(cancellationToken);
        (double[] pooled, int batch) = Pooled(cancellationToken);
        (double[] fedAvg, long serverBytes, int payload) = FedAvg(cancellationToken);
        return new BaselineResult(baseBpc, local.Average(), local, pooled[^1], pooled, fedAvg[^1], fedAvg, serverBytes, payload, batch);
    }

    /// <summary>Each node alone: R·S steps on its own era.</summary>
    private double[] LocalOnly(CancellationToken cancellationToken)
    {
        var scores = new double[Nodes];
        for (int i = 0; i < Nodes; i++)
        {
            using TorchLearner alone = workload.NewLearner(workload.Train[i]);
            alone.Train(rounds * localSteps, cancellationToken);
            scores[i] = alone.Evaluate(workload.GlobalEval).BitsPerByte;
            info(string.Create(CultureInfo.InvariantCulture, $"baseline local-only: node {i + 1}/{Nodes}: {scores[i]:F4} bpc"));
        }

        return scores;
    }

    /// <summary>One learner on every node's text with an N-times batch: as many windows per step as the whole mesh.</summary>
    private (double[] PerRound, int Batch) Pooled(CancellationToken cancellationToken)
    {
        int batch = Nodes * workload.Trainer.BatchSize;
        using TorchLearner pooled = workload.NewLearner(workload.Train.SelectMany(t => t).ToArray(), batch);
        var perRound = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            pooled.Train(localSteps, cancellationToken);
            perRound[r] = pooled.Evaluate(workload.GlobalEval).BitsPerByte;
            info(string.Create(CultureInfo.InvariantCulture, $"baseline pooled (batch {batch}): round {r + 1}/{rounds}: {perRound[r]:F4} bpc"));
        }

        return (perRound, batch);
    }

    /// <summary>
    /// Synchronous FedAvg with a server (McMahan et al. 2017): every round each client starts from the server's state,
    /// trains S steps on its era, and the server takes the plain mean of the clients' states (the era shards are
    /// balanced by characters, so data-size weights would be ≈ equal). A client keeps its AdamW moments between
    /// rounds, as a mesh node does.
    /// </summary>
    private (double[] PerRound, long ServerBytes, int Payload) FedAvg(CancellationToken cancellationToken)
    {
        var clients = new TorchLearner[Nodes];
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                clients[i] = workload.NewLearner(workload.Train[i]);
            }

            AdapterSchema schema = clients[0].Schema;
            // The initial adapter (LoRA A at its seeded init, B = 0), as every mesh node starts: an all-zero state
            // would have no gradient (A = B = 0).
            float[] server = clients[0].GetAdapter();
            var sum = new float[server.Length];
            var perRound = new double[rounds];
            long bytes = 0;
            int payload = Size(schema, server);
            for (int r = 0; r < rounds; r++)
            {
                Array.Clear(sum);
                foreach (TorchLearner client in clients)
                {
                    bytes += Size(schema, server);
                    client.SetAdapter(server);
                    client.Train(localSteps, cancellationToken);
                    float[] state = client.GetAdapter();
                    bytes += Size(schema, state);
                    TensorPrimitives.Add(sum, state, sum);
                }

                TensorPrimitives.Multiply(sum, 1f / Nodes, server);
                perRound[r] = clients[0].Evaluate(workload.GlobalEval, server).BitsPerByte;
                info(string.Create(CultureInfo.InvariantCulture, $"baseline FedAvg star: round {r + 1}/{rounds}: {perRound[r]:F4} bpc"));
            }

            return (perRound, bytes, payload);
        }
        finally
        {
            foreach (TorchLearner? client in clients)
            {
                client?.Dispose();
            }
        }
    }

    private static int Size(AdapterSchema schema, float[] state) => DeltaEncoder.EncodeFlat(schema, state, Encoding).Payload.Length;
}
