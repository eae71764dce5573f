using System.Text;
using FedMesh.Node.Data;
using FedMesh.Node.Data.Corpora;

namespace FedMesh.NetSim.Simulation.Internal;

/// <summary>Pure helpers that pick what a simulated SOTU node trains on and is scored on.</summary>
internal static class EvalSample
{
    /// <summary>
    /// Equal slices from the middle of every document, <paramref name="chars"/> characters in all (at least one per
    /// document). The learner scores the first MaxEvalBytes of the concatenation, so a plain cap would score only the
    /// first (earliest) addresses; slices keep every era in the sample. The middle avoids the formulaic openings.
    /// </summary>
    public static IReadOnlyList<string> Slices(IReadOnlyList<string> documents, int chars)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chars);
        int each = Math.Max(1, chars / Math.Max(1, documents.Count));
        return documents.Select(d =>
        {
            int n = Math.Min(each, d.Length);
            return d.Substring((d.Length - n) / 2, n);
        }).ToArray();
    }

    /// <summary>UTF-8 bytes of the learner's byte stream for <paramref name="documents"/> (each plus a separator).</summary>
    public static int StreamBytes(IReadOnlyList<string> documents) =>
        documents.Sum(d => Encoding.UTF8.GetByteCount(d) + 1);

    /// <summary>
    /// A node's own train / held-out split of its addresses, as the daemon splits its data folder
    /// (<see cref="DocumentSplit"/> at <paramref name="fraction"/>), except that the held-out side is never empty: with
    /// ~13 addresses per node a 10% draw often holds out none, and the validation gate needs something to score, so
    /// the address with the smallest split hash is held out then.
    /// </summary>
    public static (IReadOnlyList<SotuAddress> Train, IReadOnlyList<SotuAddress> Holdout) LocalSplit(IReadOnlyList<SotuAddress> addresses, ulong seed, double fraction)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count < 2)
        {
            throw new ArgumentException($"a node needs at least 2 addresses (one to train on, one to hold out), got {addresses.Count}", nameof(addresses));
        }

        DocumentSplit.Result<SotuAddress> split = DocumentSplit.Split(addresses, a => a.Id, seed, fraction);
        if (split.Holdout.Count > 0 && split.Train.Count > 0)
        {
            return (split.Train, split.Holdout);
        }

        SotuAddress first = addresses.MinBy(a => DocumentSplit.UnitHash(a.Id, seed))!;
        return (addresses.Where(a => a != first).ToArray(), [first]);
    }
}
