using System.Numerics.Tensors;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Learning.Surrogate;

namespace FedMesh.NetSim.Hosting;

/// <summary>
/// Synchronous FedAvg with a server on a surrogate scenario (McMahan et al. 2017), no network: every round each node
/// starts from the server's state, takes the scenario's local steps on its own data (the same learner, data and
/// minibatch draws a mesh node of that scenario has), and the server takes the plain mean of the N states. It is what
/// flood mode would reach with every release merged at once, exactly and without staleness, rounding or phases:
/// O(N·d) per round instead of flood's O(N²) verified deltas, so it serves as the consensus reference where flood
/// itself is out of reach (issue 16's N = 1,024 and 4,096).
/// </summary>
public static class SurrogateFedAvg
{
    /// <summary>The server's distance to the nodes' optimum (the mean of their local optima) after each round's
    /// average: entry r − 1 is round r's.</summary>
    public static double[] DistancePerRound(Scenario scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Learner.Kind != LearnerKind.Surrogate)
        {
            throw new ArgumentException("the FedAvg reference needs the surrogate learner", nameof(scenario));
        }

        if (scenario.Byzantine.Fraction > 0)
        {
            throw new ArgumentException("the FedAvg reference is for honest meshes (byzantine.fraction = 0)", nameof(scenario));
        }

        var problem = new SurrogateProblem(scenario.Learner.Surrogate with { Seed = scenario.Seed }, scenario.Nodes);
        var learners = new SurrogateLearner[scenario.Nodes];
        for (int i = 0; i < learners.Length; i++)
        {
            learners[i] = problem.CreateLearner(i);
        }

        try
        {
            float[] optimum = problem.OptimumOf(Enumerable.Range(0, scenario.Nodes));
            var server = new float[problem.Options.Dimension];
            var sum = new float[server.Length];
            var distances = new double[scenario.Rounds];
            for (int r = 0; r < distances.Length; r++)
            {
                Internal.FedAvgServer.Round(learners, server, sum, scenario.Learner.LocalSteps, transferred: null, cancellationToken);
                distances[r] = TensorPrimitives.Distance(server, optimum);
            }

            return distances;
        }
        finally
        {
            foreach (SurrogateLearner learner in learners)
            {
                learner.Dispose();
            }
        }
    }
}
