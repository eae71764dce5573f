using FedMesh.Node.Learning;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>The surrogate linear-regression task (<see cref="SurrogateProblem"/>): exact optimum, each node's
/// seeded test split for both the gate and the loss column.</summary>
internal sealed class SurrogateTask(SurrogateProblem problem) : ISimTask
{
    public AdapterSchema Schema => problem.Schema;

    public ReadOnlyMemory<byte> BaseModelHash => problem.BaseModelHash;

    public ILearner CreateLearner(int node) => problem.CreateLearner(node);

    public double GateLoss(int node, ILearner learner, ReadOnlySpan<float> adapter) => Surrogate(learner).HeldOutLoss(adapter);

    public double Score(int node, ILearner learner) => Surrogate(learner).HeldOutLoss(learner.GetAdapter());

    public float[]? OptimumOf(IEnumerable<int> nodes) => problem.OptimumOf(nodes);

    private static SurrogateLearner Surrogate(ILearner learner) => (SurrogateLearner)learner;
}
