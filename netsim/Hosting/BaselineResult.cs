namespace FedMesh.NetSim.Hosting;

/// <summary>
/// The torch scenario's comparison arms, each at the mesh's budget of R rounds × S local steps, all scored (bits per
/// byte) on the same global held-out sample as the mesh's loss column.
/// </summary>
/// <param name="BaseBpc">The frozen base, no adapter.</param>
/// <param name="LocalOnlyBpc">Mean over nodes of one learner per node trained R·S steps on its own era alone.</param>
/// <param name="LocalOnlyPerNode">Each node's local-only score, node order.</param>
/// <param name="PooledBpc">One learner on the union of all nodes' training text, R·S steps with a batch N times the
/// nodes' (so it sees as many windows as the whole mesh).</param>
/// <param name="PooledPerRound">The pooled learner after every S steps ("round" r = r·S steps).</param>
/// <param name="FedAvgBpc">FedAvg star after R rounds (the server's state).</param>
/// <param name="FedAvgPerRound">The server's state after each round.</param>
/// <param name="FedAvgServerBytes">Payload bytes the server sent and received over all rounds: every round it sends its
/// state to N clients and receives N client states, each counted at its encoded size.</param>
/// <param name="PayloadBytes">Encoded size of one adapter state (the mesh's encoding).</param>
/// <param name="PooledBatch">Windows per pooled step (N × the nodes' batch).</param>
public sealed record BaselineResult(
    double BaseBpc,
    double LocalOnlyBpc,
    IReadOnlyList<double> LocalOnlyPerNode,
    double PooledBpc,
    IReadOnlyList<double> PooledPerRound,
    double FedAvgBpc,
    IReadOnlyList<double> FedAvgPerRound,
    long FedAvgServerBytes,
    int PayloadBytes,
    int PooledBatch);
