namespace FedMesh.Node.Mesh;

/// <summary>
/// Mixing weights of neighbours-mode gossip: how much of a node's own state survives a merge of the states its
/// neighbours sent it. Pure functions, so tests check the algebra directly.
/// </summary>
/// <remarks>
/// Decentralised SGD converges to the average of the nodes' optima when the mixing matrix W is symmetric and doubly
/// stochastic (Lian et al., NeurIPS 2017, Assumption 1); Metropolis–Hastings weights w_ij = 1 / (1 + max(d_i, d_j)),
/// w_ii = 1 − Σ_j w_ij give such a W from local degrees alone (Xiao &amp; Boyd 2004). Here the round's graph is directed
/// and time-varying (each node pushes to <c>fanout</c> peers it draws afresh, Hegedűs et al. 2019): every node's
/// out-degree is k = min(fanout, connected peers) (<see cref="RoundCoordinator.OutDegree"/>) and its expected
/// in-degree is k too, and a sender's degree is not on the wire. So the degree of both ends is taken as max(m, k),
/// m = neighbour states in the merge: every row sums to 1, and since targets are drawn uniformly the matrix is
/// symmetric in expectation, which keeps the average unbiased in expectation. Once m ≥ k the weights are uniform over
/// self and the m states (flood's consensus mean); a node that heard from fewer peers than it sends to keeps more of its
/// own state.
/// </remarks>
public static class MixingWeights
{
    /// <summary>
    /// Weight of this node's own state when each of the <paramref name="received"/> neighbour states has weight 1:
    /// w_ii / w_ij = (1 − m / (1 + d)) · (1 + d) = 1 + d − m with d = max(m, <paramref name="degree"/>).
    /// </summary>
    public static double OwnWeight(int received, int degree)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(received);
        ArgumentOutOfRangeException.ThrowIfNegative(degree);
        int d = Math.Max(received, degree);
        return 1.0 + d - received;
    }

    /// <summary>The Metropolis–Hastings weight w_ij of one neighbour's state (own weight is 1 − m · w_ij).</summary>
    public static double NeighbourWeight(int received, int degree) => 1.0 / (1.0 + Math.Max(received, Math.Max(degree, 0)));
}
