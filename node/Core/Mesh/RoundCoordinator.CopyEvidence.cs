using System.Numerics.Tensors;
using FedMesh.Node.Merge;
using FedMesh.Node.Reputation;
using FedMesh.Node.Reputation.Internal;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Mesh;

/// <summary>
/// Copy and collusion evidence in the merge (<see cref="CopyEvidenceMath"/>, <see cref="ReputationOptions.ShareCopyWeight"/>):
/// before the aggregator runs, each pair of this merge's inputs adds to its evidence (near-copy events, a cosine of
/// their deviation histories), and each input's weight is multiplied by 1 / (1 + the sum of its links to the other
/// inputs). The peers with a link are handed to reputation, whose push targeting goes past them
/// (<see cref="ReputationTracker.PassedOverInFanout"/>). Cost per merge O(k²·d) for k inputs of d values, as the
/// history score's (<see cref="CollusionMath.MaxCosineToOthers"/>): the pairwise distances and history cosines.
/// </summary>
public sealed partial class RoundCoordinator
{
    private CopyEvidence? _copies;

    /// <summary><see cref="CopyEvidence.LinkedVersion"/> of the linked set last handed to reputation (−1: none yet, so
    /// the first merge publishes it, as it replaced whatever set the tracker held).</summary>
    private long _publishedLinks = -1;

    /// <summary>Scratch reused across merges (cleared each merge; none of it leaves ShareCopyWeight), as Merge's own:
    /// the contributors' states and times, and the contributors with a history with the delegate observing their
    /// cosines.</summary>
    private readonly List<ReadOnlyMemory<float>> _copyRows = [];
    private double[] _copyTimes = [];
    private readonly List<PeerId> _cosineOrigins = [];
    private Action<int, int, double>? _observeCosine;

    /// <summary>For the contributors with a history, their index among this merge's contributors (in the same order as
    /// <see cref="_cosineOrigins"/>).</summary>
    private readonly List<int> _cosineRows = [];

    /// <summary>The pair entries this merge's history cosines touched, at [i · k + j] for contributors i &lt; j (k of
    /// them; null where a contributor had no history): the link sums read them without looking each pair up again.</summary>
    private CopyEvidence.Pair?[] _observedPairs = [];

    /// <summary>Contributors in this merge (the row length of <see cref="_observedPairs"/>).</summary>
    private int _observedWidth;

    /// <summary>
    /// Adds this merge's evidence and shares the linked inputs' weights (<paramref name="inputs"/>[i + 1] is
    /// <paramref name="contributors"/>[i]'s; <paramref name="received"/> holds their states as received).
    /// </summary>
    private void ShareCopyWeight(List<InboxEntry> contributors, List<DeltaInput> inputs, Dictionary<PeerId, float[]> received)
    {
        ReputationOptions o = _reputation.Options;
        if (!o.ShareCopyWeight || contributors.Count == 0)
        {
            return;
        }

        _copies ??= new CopyEvidence(o.MaxCopyPairs, o.PushPastCosine, o.CopyLinkMinObservations, o.CosineLinkNeedsCloseCall);
        int k = contributors.Count;
        if (_observedPairs.Length < k * k)
        {
            _observedPairs = new CopyEvidence.Pair?[Math.Max(k * k, 2 * _observedPairs.Length)];
        }

        Array.Clear(_observedPairs, 0, k * k);
        _observedWidth = k;
        ObserveHistoryCosines(contributors);
        List<ReadOnlyMemory<float>> rows = _copyRows;
        rows.Clear();
        if (_copyTimes.Length < contributors.Count)
        {
            _copyTimes = new double[Math.Max(contributors.Count, 2 * _copyTimes.Length)];
        }

        Span<double> times = _copyTimes.AsSpan(0, contributors.Count);
        double unit = RoundUnit.TotalSeconds;
        for (int i = 0; i < contributors.Count; i++)
        {
            rows.Add(received[contributors[i].Origin]);
            times[i] = contributors[i].Timestamp.ToUnixTimeMilliseconds() / 1000.0 / unit;
        }

        // One coordinate median for both searches (near copies, close calls); fewer than 3 rows have no scale.
        double scale = rows.Count < 3 ? 0 : CopyEvidenceMath.RobustScale(rows);
        foreach ((int a, int b) in CopyEvidenceMath.NearCopies(rows, times, o.NearCopyRatio, o.NearCopyMaxGapRounds, scale))
        {
            _copies.RecordNearCopy(contributors[a].Origin, contributors[a].Sequence, contributors[b].Origin, contributors[b].Sequence);
        }

        if (o.CosineLinkNeedsCloseCall)
        {
            foreach ((int a, int b) in CopyEvidenceMath.NearCopies(rows, times, o.CloseCallRatio, o.CloseCallMaxGapRounds, scale))
            {
                _copies.RecordCloseCall(contributors[a].Origin, contributors[b].Origin);
            }
        }

        double[] sums = CopyEvidenceMath.LinkSums(contributors.Count, (i, j) =>
        {
            PeerId a = contributors[i].Origin, b = contributors[j].Origin;
            (int nearCopies, double mean, int n) = _copies.Of(_observedPairs[(i * k) + j], a, b);
            return CopyEvidenceMath.Link(
                nearCopies, mean, n, o.CopyLinkCosineLow, o.CopyLinkCosineHigh, o.CopyLinkMinObservations, _copies.CosineCounts(a, b));
        });
        for (int i = 0; i < contributors.Count; i++)
        {
            if (sums[i] > 0)
            {
                inputs[i + 1] = inputs[i + 1] with { Weight = inputs[i + 1].Weight * CopyEvidenceMath.ShareFactor(sums[i], o.CopyShareExponent) };
            }
        }

        if (_copies.LinkedVersion != _publishedLinks)
        {
            // Only when a peer was linked or unlinked since the last merge: otherwise the tracker holds this very set.
            _reputation.SetCopyLinked(new HashSet<PeerId>(_copies.LinkedPeers));
            _publishedLinks = _copies.LinkedVersion;
        }
    }

    /// <summary>
    /// One cosine per pair of contributors with a deviation history (kept by the history score,
    /// <see cref="ReputationOptions.ScoreCollusion"/>), once what they all share is removed
    /// (<see cref="CollusionMath.WithoutCommonPart(IReadOnlyList{ReadOnlyMemory{float}})"/>). Needs 3 histories: with
    /// 2 the median removes everything that differs between them.
    /// </summary>
    private void ObserveHistoryCosines(List<InboxEntry> contributors)
    {
        if (_history is null)
        {
            return;
        }

        List<PeerId> origins = _cosineOrigins;
        origins.Clear();
        _cosineRows.Clear();
        for (int row = 0; row < contributors.Count; row++)
        {
            PeerId origin = contributors[row].Origin;
            if (_history.HistoryOf(origin) is { } h && h.Length == _mesh.Schema.TotalElements)
            {
                origins.Add(origin);
                _cosineRows.Add(row);
            }
        }

        if (origins.Count < 3)
        {
            return;
        }

        // i < j keeps the contributors' order (origins were listed in it), so the entry lands above the diagonal.
        _observeCosine ??= (i, j, cosine) =>
            _observedPairs[(_cosineRows[i] * _observedWidth) + _cosineRows[j]] = _copies!.ObserveCosine(_cosineOrigins[i], _cosineOrigins[j], cosine);
        _history.PairCosines(origins, _observeCosine);
    }
}
