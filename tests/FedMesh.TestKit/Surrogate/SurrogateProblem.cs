using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using FedMesh.Node.Learning.Surrogate.Internal;
using FedMesh.Protocol.Deltas;

namespace FedMesh.Node.Learning.Surrogate;

/// <summary>
/// The shared surrogate task of one simulated mesh: a shared optimum part w₀ ~ N(0, I_d), sub-task offsets
/// δ_k ~ N(0, h²·I_d), and node i's local optimum w_i = w₀ + Σ_k p_ik·δ_k (p_i ~ Dirichlet(α); p_i = 0 for IID).
/// Node i's population loss is E(x·w − y)² = ‖w − w_i‖² + σ² (x ~ N(0, I)), so the optimum of any set of nodes
/// with equal data is the mean of their w_i: <see cref="OptimumOf"/> is exact, not estimated.
/// </summary>
public sealed class SurrogateProblem
{
    private readonly float[][] _nodeOptima;

    public SurrogateProblem(SurrogateOptions options, int nodeCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeCount);
        Options = options;
        NodeCount = nodeCount;
        int d = options.Dimension;
        var random = new Random(SeededSampling.DeriveSeed(options.Seed, 0));
        var shared = new float[d];
        SeededSampling.FillNormal(random, shared, 1.0);
        var offsets = new float[options.Components][];
        for (int k = 0; k < offsets.Length; k++)
        {
            offsets[k] = new float[d];
            SeededSampling.FillNormal(random, offsets[k], options.Heterogeneity);
        }

        _nodeOptima = new float[nodeCount][];
        for (int i = 0; i < nodeCount; i++)
        {
            float[] w = (float[])shared.Clone();
            if (options.Split == SurrogateSplit.Dirichlet)
            {
                double[] mix = SeededSampling.Dirichlet(random, options.Components, options.DirichletAlpha);
                for (int k = 0; k < mix.Length; k++)
                {
                    TensorPrimitives.MultiplyAdd(offsets[k], (float)mix[k], w, w);
                }
            }

            _nodeOptima[i] = w;
        }

        Schema = new AdapterSchema([new TensorInfo("w", [d])]);
        BaseModelHash = ComputeBaseHash(options, nodeCount);
    }

    public SurrogateOptions Options { get; }

    public int NodeCount { get; }

    /// <summary>One tensor "w" of length d.</summary>
    public AdapterSchema Schema { get; }

    /// <summary>SHA-256 of the task parameters: nodes of differently parameterised tasks refuse each other's states
    /// exactly as real nodes with different base checkpoints do.</summary>
    public byte[] BaseModelHash { get; }

    /// <summary>Node <paramref name="node"/>'s local optimum w_i (a copy).</summary>
    public float[] NodeOptimum(int node) => (float[])_nodeOptima[node].Clone();

    /// <summary>Optimum of the union of the given nodes' data: the mean of their local optima (see the class remarks).</summary>
    public float[] OptimumOf(IEnumerable<int> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var sum = new float[Options.Dimension];
        int count = 0;
        foreach (int node in nodes)
        {
            TensorPrimitives.Add(sum, _nodeOptima[node], sum);
            count++;
        }

        if (count == 0)
        {
            throw new ArgumentException("needs at least one node", nameof(nodes));
        }

        TensorPrimitives.Multiply(sum, 1f / count, sum);
        return sum;
    }

    /// <summary>Node <paramref name="node"/>'s learner: its own seeded data, SGD from w = 0 (as LoRA starts at 0).</summary>
    public SurrogateLearner CreateLearner(int node)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, NodeCount);
        return new SurrogateLearner(this, node, _nodeOptima[node]);
    }

    private static byte[] ComputeBaseHash(SurrogateOptions o, int nodeCount)
    {
        string text = string.Create(CultureInfo.InvariantCulture,
            $"fedmesh-surrogate-v1|d={o.Dimension}|n={o.TrainSamples}|t={o.TestSamples}|noise={o.NoiseStd:R}|split={o.Split}|alpha={o.DirichletAlpha:R}|k={o.Components}|h={o.Heterogeneity:R}|seed={o.Seed}|nodes={nodeCount}");
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }
}
