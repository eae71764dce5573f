namespace FedMesh.NetSim.Hosting;

/// <summary>One node's state at the end of one round window (what the per-node CSV holds).</summary>
/// <param name="Loss">Held-out loss of the node's adapter (surrogate: MSE).</param>
/// <param name="DistanceToConsensus">‖x_i − mean of the honest up nodes' adapters‖.</param>
/// <param name="DistanceToOptimum">‖x_i − w*‖, w* the optimum of the honest nodes' data.</param>
/// <param name="Epsilon">ε spent so far (0 without privacy).</param>
/// <param name="BytesIn">Wire bytes received during this round window (frames incl. header).</param>
/// <param name="BytesOut">Wire bytes sent during this round window.</param>
/// <param name="Peers">Peers whose Hello was accepted.</param>
public sealed record NodeRoundRecord(
    int Round,
    int Node,
    bool Byzantine,
    bool Up,
    double Loss,
    double DistanceToConsensus,
    double DistanceToOptimum,
    double Epsilon,
    long BytesIn,
    long BytesOut,
    int Peers,
    int Merged,
    int Rejected,
    bool Adopted);

/// <summary>Means over the honest nodes that were up at the end of a round window.</summary>
public sealed record RoundSummary(
    int Round,
    int HonestUp,
    double MeanLoss,
    double MeanDistanceToConsensus,
    double MeanDistanceToOptimum,
    double MaxDistanceToOptimum,
    double MaxEpsilon,
    long BytesIn,
    long BytesOut);

/// <summary>What a whole run produced.</summary>
public sealed record SimulationResult(
    string Scenario,
    ulong Seed,
    int Nodes,
    int Rounds,
    IReadOnlyList<NodeRoundRecord> Records,
    IReadOnlyList<RoundSummary> Summaries,
    IReadOnlyList<string> EventLog,
    long MessagesSent,
    long MessagesDropped,
    long BytesDelivered,
    long DeltasVerified,
    long DeltasRejected,
    long EventsRun)
{
    /// <summary>Local-only, pooled and FedAvg-star figures (torch scenarios with baselines), else null.</summary>
    public BaselineResult? Baselines { get; init; }
}
