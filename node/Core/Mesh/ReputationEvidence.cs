namespace FedMesh.Node.Mesh;

/// <summary>
/// Whether a merge round's distances are evidence for reputation, and what a scored round's pulled-in inputs observe. Reputation scores each contributor by its distance
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

    /// <summary>
    /// What a scored round (<see cref="ScoresRound"/>) observes at most for an input the distance bound pulled in: 0, a
    /// harmful observation (<see cref="Reputation.ReputationOptions.RejectedScore"/>'s value). Most of the round's inputs
    /// were within the bound, so a state beyond ten of this node's own steps is far from the states this node and most
    /// of its neighbours hold; scored by its distance to the aggregate instead, the pulled-in copy sits at the bound and
    /// centered clipping's radius (the median distance) reaches it, so it scored as honest every round while it never
    /// came near. Measured (issue 16, netsim byzantine-30, Gaussian noise, seed 11, int8-wz): node 19 heard three honest
    /// states and three attackers (distance 50–80, pulled in to 3–6) from round 3; the attackers observed 1 every round,
    /// climbed to trust 0.66 and carried the merge, and from round 22 the node drifted to 14.6 from the optimum.
    /// </summary>
    public const double BoundedScore = 0;

    /// <summary>
    /// The caps on a scored round's observations, one per measured input in <paramref name="bounded"/>'s order (the
    /// observation is the lower of an input's distance score and its cap,
    /// <see cref="Reputation.ReputationTracker.RecordRound(IReadOnlyList{KeyValuePair{Protocol.Identity.PeerId, double}}, IReadOnlyList{double}?)"/>):
    /// with no input pulled in, <paramref name="historyScores"/> as they are (null: none); with any, a pulled-in input's
    /// cap is <see cref="BoundedScore"/> and the others' is 1, their history scores set aside for the round. The
    /// aggregate then leans towards the pulled-in states, so the near states' deviations from it all point the same way,
    /// back towards where the near states are, and the collusion test reads that as colluding: at seed 11 above the three
    /// honest states' history scores fell to 0 from round 4 and their trust below the attackers'. Keeping those scores
    /// left byzantine-30's scaling attack at +6.5 % over the honest nodes alone with int8-wz (seeds 1–20), +5.0 % without
    /// them (netsim/scenarios/README.md, "Far inputs score nothing").
    /// </summary>
    public static IReadOnlyList<double>? ObservationCaps(IReadOnlyList<bool> bounded, IReadOnlyList<double>? historyScores)
    {
        ArgumentNullException.ThrowIfNull(bounded);
        if (historyScores is not null && historyScores.Count != bounded.Count)
        {
            throw new ArgumentException($"{historyScores.Count} history scores for {bounded.Count} inputs", nameof(historyScores));
        }

        if (!bounded.Contains(true))
        {
            return historyScores;
        }

        var caps = new double[bounded.Count];
        for (int i = 0; i < caps.Length; i++)
        {
            caps[i] = bounded[i] ? BoundedScore : 1;
        }

        return caps;
    }
}
