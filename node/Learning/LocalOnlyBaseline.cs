namespace FedMesh.Node.Learning;

/// <summary>
/// The local-only baseline: each node's learner trained alone on its own records — no exchange, no privacy — for a
/// fixed number of steps, then scored (bits per byte) on a common held-out sample. What a mesh must beat to be worth
/// joining. One home for <c>fedmesh-demo</c>, its DP bench and <c>netsim run --baselines</c>.
/// </summary>
public static class LocalOnlyBaseline
{
    /// <summary>Trains and scores every node's learner alone.</summary>
    /// <param name="nodes">Number of nodes.</param>
    /// <param name="create">Node i's new learner (adapter at its initialisation, its own records, no DP); disposed here.</param>
    /// <param name="steps">Training steps per node.</param>
    /// <param name="eval">The held-out sample every node is scored on.</param>
    /// <param name="parallelism">Learners trained side by side. 1 runs them in order on the calling thread (netsim's
    /// deterministic host; in-process libtorch learners on parallel threads once failed, see the demo's DP bench).
    /// More suits independent learners with one libtorch thread each (the demo: one per core).</param>
    /// <param name="done">Called with (node, bits per byte) as each node finishes.</param>
    /// <returns>Each node's bits per byte, node order.</returns>
    public static double[] Run(int nodes, Func<int, TorchLearner> create, int steps, IReadOnlyList<string> eval, int parallelism,
        CancellationToken cancellationToken = default, Action<int, double>? done = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodes);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentNullException.ThrowIfNull(eval);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        var scores = new double[nodes];
        void One(int i)
        {
            using TorchLearner alone = create(i);
            alone.Train(steps, cancellationToken);
            scores[i] = alone.Evaluate(eval).BitsPerByte;
            done?.Invoke(i, scores[i]);
        }

        if (parallelism == 1)
        {
            for (int i = 0; i < nodes; i++)
            {
                One(i);
            }
        }
        else
        {
            Parallel.For(0, nodes, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, One);
        }

        return scores;
    }
}
