using FedMesh.Node.Learning;
using FedMesh.Protocol.Deltas;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// What the simulated nodes learn: their learners (through <see cref="ILearner"/>, as the node's round coordinator
/// sees them) and how an adapter is scored, for the validation gate and for the per-round loss column.
/// </summary>
internal interface ISimTask
{
    AdapterSchema Schema { get; }

    ReadOnlyMemory<byte> BaseModelHash { get; }

    /// <summary>The loss column of the outputs for the learner's current adapter (surrogate: held-out MSE; torch:
    /// bits per byte on the global held-out addresses).</summary>
    double Score(int node, ILearner learner);

    /// <summary>Optimum of the given nodes' data when it is known (surrogate), else null.</summary>
    float[]? OptimumOf(IEnumerable<int> nodes);
}
