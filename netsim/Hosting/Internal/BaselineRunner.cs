using System.Globalization;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Learning;
using FedMesh.Node.Mesh;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// Local-only (<see cref="LocalOnlyBaseline"/>, shared with the demo), centralized pooled and FedAvg-star training on a
/// torch scenario's workload, each with R rounds × S local steps (<see cref="BaselineResult"/>). Every learner here is
/// new (adapter at its initialisation, fresh AdamW state), built from the nodes' own learner options
/// (<see cref="Node.Hosting.NodeFactory.LearnerOptions"/>) without DP, on all of a node's records; libtorch with one
/// thread makes the figures repeatable.
/// </summary>
internal sealed class BaselineRunner(TorchWorkload workload, int rounds, int localSteps, Action<string> info)
{
    /// <summary>The mesh's wire encoding of a state (what a FedAvg transfer would carry).</summary>
    private static readonly TensorEncoding Encoding = MeshOptions.Default.Encoding;

    private int Nodes => workload.Records.Count;

    /// <summary>The scenario's baselines on a workload of their own (the mesh's was disposed with its nodes; the base
    /// is cached, so loading it again takes a moment).</summary>
    public static BaselineResult Run(Scenario scenario, Action<string> info, CancellationToken cancellationToken = default)
    {
        using TorchWorkload workload = TorchWorkload.Create(scenario, _ => { }, cancellationToken);
        return new BaselineRunner(workload, scenario.Rounds, scenario.Learner.LocalSteps, info).Run(cancellationToken);
    }

    public BaselineResult Run(CancellationToken cancellationToken = default)
    {
        double baseBpc;
        using (TorchLearner scorer = NewLearner([]))
        {
            baseBpc = scorer.EvaluateBase(workload.GlobalEval).BitsPerByte;
        }

        double[] local = LocalOnlyBaseline.Run(Nodes, i => NewLearner(workload.Records[i]), rounds * localSteps, workload.GlobalEval, parallelism: 1, cancellationToken,
            (i, bpc) => info(string.Create(CultureInfo.InvariantCulture, $"baseline local-only: node {i + 1}/{Nodes}: {bpc:F4} bpc")));
        (double[] pooled, int batch) = Pooled(cancellationToken);
        (double[] fedAvg, long serverBytes, int payload) = FedAvg(cancellationToken);
        return new BaselineResult(baseBpc, local.Average(), local, pooled[^1], pooled, fedAvg[^1], fedAvg, serverBytes, payload, batch);
    }

    /// <summary>A learner with the nodes' options, no DP; <paramref name="batchSize"/> overrides the batch (pooled).</summary>
    private TorchLearner NewLearner(IReadOnlyList<string> documents, int? batchSize = null) =>
        workload.Base.CreateLearner(workload.Lora, batchSize is { } b ? workload.Trainer with { BatchSize = b } : workload.Trainer, documents);

    /// <summary>One learner on every node's records with an N-times batch: as many windows per step as the whole mesh.</summary>
    private (double[] PerRound, int Batch) Pooled(CancellationToken cancellationToken)
    {
        int batch = Nodes * workload.Trainer.BatchSize;
        using TorchLearner pooled = NewLearner(workload.Records.SelectMany(t => t).ToArray(), batch);
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
    /// trains S steps on its records, and the server takes the plain mean of the clients' states (the era shards are
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
                clients[i] = NewLearner(workload.Records[i]);
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
                FedAvgServer.Round(clients, server, sum, localSteps, state => bytes += Size(schema, state), cancellationToken);
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
