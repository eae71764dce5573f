namespace FedMesh.Node.Mesh;

/// <summary>
/// Whether a merge round's distances are evidence for reputation. Reputation scores each contributor by its distance
/// to the round's aggregate (<see cref="Reputation.ReputationTracker.RecordRound(IReadOnlyList{KeyValuePair{Protocol.Identity.PeerId, double}}, IReadOnlyList{double}?)"/>),
/// which is a fair reference only while the aggregate is set by states near this node's own. Pure, so tests check the
/// rule directly.
/// </summary>
/// <remarks>
/// When at least <see cref="MeshOptions.UnscoredBoundedShare"/> of the merge's inputs (this node's own state counted)
/// were farther than the distance bound (<see cref="MeshOptions.PeerDistanceBound"/>), the far states are at least half
/// of what the robust rule centres on: centered clipping's median radius is a far state's, so the aggregate moves
/// towards them, and scoring by distance to it rewards the far states and penalises the near ones. Measured (issue 16,
/// netsim byzantine-30, int8, seed 9): node 8's merges were mostly attackers' states, farther than the bound; scored
/// against aggregates those states had pulled, its five honest neighbours fell below the ignore threshold while the
/// attackers reached weight 1, and from round 12 it was captured (scaling: final distance 38.3 from the optimum, sign
/// flip 6.40; the others 0.02–0.04). Such a round updates no trust from distances; the rule's rejections
/// (<see cref="Reputation.ReputationTracker.RecordRejected"/>) still count, and rounds where the near states are the
/// majority score everyone as before.
/// </remarks>
public static class ReputationEvidence
{
    /// <summary>
    /// False when <paramref name="bounded"/> of the merge's <paramref name="inputs"/> (own state included) reach
    /// <see cref="MeshOptions.UnscoredBoundedShare"/>: the round's distance-to-aggregate scores are not recorded.
    /// </summary>
    public static bool ScoresRound(int bounded, int inputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bounded);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bounded, inputs);
        return bounded == 0 || bounded < MeshOptions.UnscoredBoundedShare * inputs;
    }
}
