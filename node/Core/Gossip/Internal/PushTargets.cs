using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Gossip.Internal;

/// <summary>
/// Which ready peers a neighbours-mode release is pushed to (SPEC.md §9.9), as a pure function of the peers in a
/// uniformly shuffled order: the first <c>fanout</c> of them, except that a peer whose states this node ignores
/// (reputation below the ignore threshold) is pushed to but not counted, so the release still reaches
/// <c>fanout</c> peers whose states this node merges. A neighbours-mode node mixes only the states pushed to it;
/// each push that lands on a peer it ignores is one state fewer in the mixing among the peers it trusts, which is
/// what kept byzantine-30 (30 % attackers) 8–18 % farther from the optimum than the same mesh without them
/// (netsim/scenarios/README.md, "Push targets past ignored peers"). The runtime passes
/// <c>ReputationTracker.PassedOverInFanout</c>, so a peer that copy or collusion evidence links to another is passed
/// over in the count too: colluders that copy each other do not take up the pushes meant for independent peers.
/// </summary>
/// <remarks>
/// Ignored peers are passed over only in the count, never in the draw: every peer, ignored or not, is pushed to at
/// least as often as under the plain uniform draw. Tried first and reverted (byzantine-30, neighbours, seeds 1–5):
/// drawing targets with odds ∝ merge weight, or ignored peers last. Both starved exactly the honest nodes that
/// needed the honest states most: a node pulled off by an attack scores far from its honest peers' aggregates, they
/// distrust it and push to it less, and the attackers still push to it (honest nodes captured at distance 9–83 under
/// sign flip, scaling and Gaussian noise). Counting each target by its merge weight captured nodes too: every peer
/// starts at weight 0.5, so in the first rounds every node, attackers included, pushed to 2 × fanout peers.
/// </remarks>
internal static class PushTargets
{
    /// <summary>
    /// Most targets per release, in multiples of the fanout: 2 bounds a node's pushes (and so the states pulled from
    /// it, its upload) to twice the uniform draw's however much of its view it ignores. With the default view of 8
    /// and fanout 3 the bound is reached only when 3 or more of the first 6 peers drawn are ignored.
    /// </summary>
    public const int MaxTargetsPerFanout = 2;

    /// <summary>
    /// The push targets among <paramref name="shuffled"/> (distinct peers, already in a uniformly random order):
    /// peers in that order until <paramref name="fanout"/> of them are not <paramref name="ignored"/>, or
    /// <see cref="MaxTargetsPerFanout"/> × <paramref name="fanout"/> are taken, or the peers run out. A node that
    /// ignores all its peers thus still pushes to the first 2 × fanout: the overlay is never cut by reputation.
    /// </summary>
    public static List<PeerId> Choose(ReadOnlySpan<PeerId> shuffled, Func<PeerId, bool> ignored, int fanout)
    {
        ArgumentNullException.ThrowIfNull(ignored);
        ArgumentOutOfRangeException.ThrowIfNegative(fanout);
        var targets = new List<PeerId>(Math.Min(shuffled.Length, MaxTargetsPerFanout * fanout));
        int counted = 0;
        foreach (PeerId peer in shuffled)
        {
            if (counted >= fanout || targets.Count >= MaxTargetsPerFanout * fanout)
            {
                break;
            }

            targets.Add(peer);
            if (!ignored(peer))
            {
                counted++;
            }
        }

        return targets;
    }
}
