using FedMesh.Node.Learning;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Simulation.Internal;

/// <summary>
/// Real learners: node i's <see cref="TorchLearner"/> trains on era i (<see cref="SotuWorkload"/>); the gate scores
/// the node's own held-out addresses (nats per byte), the loss column is bits per byte on the global held-out sample.
/// </summary>
internal sealed class TorchTask : ISimTask
{
    private readonly SotuWorkload _workload;
    private readonly TorchLearner[] _learners;

    public TorchTask(SotuWorkload workload, int nodes)
    {
        _workload = workload;
        _learners = new TorchLearner[nodes];
        for (int i = 0; i < nodes; i++)
        {
            _learners[i] = workload.NewLearner(workload.Train[i]);
        }

        Schema = _learners[0].Schema;
        BaseModelHash = workload.Base.Hash;
    }

    public SotuWorkload Workload => _workload;

    public AdapterSchema Schema { get; }

    public ReadOnlyMemory<byte> BaseModelHash { get; }

    /// <summary>The node's learner, built with the task (the schema comes from it); the node disposes it.</summary>
    public ILearner CreateLearner(int node) => _learners[node];

    public double GateLoss(int node, ILearner learner, ReadOnlySpan<float> adapter) =>
        learner.Evaluate(_workload.LocalEval[node], adapter).Loss;

    public double Score(int node, ILearner learner) => learner.Evaluate(_workload.GlobalEval).BitsPerByte;

    public float[]? OptimumOf(IEnumerable<int> nodes) => null;
}
