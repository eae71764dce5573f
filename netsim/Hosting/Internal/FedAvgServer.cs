using System.Numerics.Tensors;
using FedMesh.Node.Learning;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// One round of synchronous FedAvg with a server (McMahan et al. 2017), shared by the torch baseline
/// (<see cref="BaselineRunner"/>) and the surrogate consensus reference (<see cref="SurrogateFedAvg"/>): every client
/// starts from the server's state, trains its local steps on its own data, and the server takes the plain mean of
/// the clients' states.
/// </summary>
internal static class FedAvgServer
{
    /// <summary>Runs one round in place on <paramref name="server"/>; <paramref name="sum"/> is scratch of the same
    /// length. <paramref name="transferred"/> sees each state that crosses the wire: the server's to a client, then
    /// the client's back.</summary>
    public static void Round(IReadOnlyList<ILearner> clients, float[] server, float[] sum, int localSteps, Action<float[]>? transferred, CancellationToken cancellationToken)
    {
        Array.Clear(sum);
        foreach (ILearner client in clients)
        {
            transferred?.Invoke(server);
            client.SetAdapter(server);
            client.Train(localSteps, cancellationToken);
            float[] state = client.GetAdapter();
            transferred?.Invoke(state);
            TensorPrimitives.Add(sum, state, sum);
        }

        TensorPrimitives.Multiply(sum, 1f / clients.Count, server);
    }
}
