namespace FedMesh.Node.Merge;

/// <summary>Why a push-sum share was not admitted.</summary>
public enum AdmissionResult
{
    Admitted,

    /// <summary>It originates from this node (came back via a relay): our mass is already in our own state.</summary>
    OwnContribution,

    /// <summary>It was addressed to another node: absorbing a relayed copy would count the same mass twice.</summary>
    NotAddressedToUs,

    /// <summary>The same (origin, round) share was already absorbed.</summary>
    Duplicate,

    /// <summary>Its round is older than the dedup window, so we can no longer tell whether it is a duplicate.</summary>
    TooOld,

    /// <summary>Its round is more than one ahead of ours; remembering it would let a peer grow our state unboundedly.</summary>
    FromTheFuture,
}

/// <summary>
/// Guarantees every node's contribution is counted exactly once per round: push-sum is unbiased only if each split
/// share is absorbed by exactly one node exactly once (mass conservation, Kempe et al. 2003). Remembers the
/// (origin, round) pairs absorbed over a sliding window of rounds.
/// </summary>
public sealed class ContributionTracker
{
    private readonly string _self;
    private readonly int _windowRounds;
    private readonly SortedDictionary<long, HashSet<string>> _seen = [];

    /// <param name="self">This node's peer id text.</param>
    /// <param name="windowRounds">Rounds remembered; 16 comfortably exceeds StalenessOptions.MaxAgeRounds (8).</param>
    public ContributionTracker(string self, int windowRounds = 16)
    {
        ArgumentException.ThrowIfNullOrEmpty(self);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowRounds, 1);
        _self = self;
        _windowRounds = windowRounds;
    }

    /// <summary>Admits (and remembers) a share, or says why not.</summary>
    public AdmissionResult TryAdmit(string origin, string target, long round, long currentRound)
    {
        if (string.Equals(origin, _self, StringComparison.Ordinal))
        {
            return AdmissionResult.OwnContribution;
        }

        if (!string.Equals(target, _self, StringComparison.Ordinal))
        {
            return AdmissionResult.NotAddressedToUs;
        }

        // One round of skew is normal (a neighbour's round ticked first); more is refused.
        if (round > currentRound + 1)
        {
            return AdmissionResult.FromTheFuture;
        }

        long oldest = currentRound - _windowRounds;
        if (round < oldest)
        {
            return AdmissionResult.TooOld;
        }

        while (_seen.Count > 0 && _seen.First().Key < oldest)
        {
            _seen.Remove(_seen.First().Key);
        }

        if (!_seen.TryGetValue(round, out HashSet<string>? origins))
        {
            origins = new HashSet<string>(StringComparer.Ordinal);
            _seen[round] = origins;
        }

        return origins.Add(origin) ? AdmissionResult.Admitted : AdmissionResult.Duplicate;
    }
}
