using System.Text;

namespace FedMesh.Node.Data;

/// <summary>
/// What a node trains on and what it holds out to score itself and validate received deltas. Normally a
/// document-level split (<see cref="LocalDataSet.Split"/>); when that leaves one side empty — a folder of one or a
/// few documents, where the one document can land on the held-out side — every document is cut instead: its first
/// (1 − f) trains, its last f is held out. So a small folder trains rather than failing, and the held-out text is
/// still text the learner never saw.
/// </summary>
/// <param name="Train">Training documents.</param>
/// <param name="Holdout">Held-out documents (the training documents themselves when the holdout fraction is 0).</param>
/// <param name="SubDocument">True when documents were cut (the fallback above).</param>
public sealed record TrainingSplit(IReadOnlyList<string> Train, IReadOnlyList<string> Holdout, bool SubDocument)
{
    /// <summary>UTF-8 bytes the trainer sees: each document and its separator byte.</summary>
    public long TrainBytes => Bytes(Train);

    public long HoldoutBytes => Bytes(Holdout);

    /// <summary>Splits <paramref name="data"/> as the node does.</summary>
    public static TrainingSplit Create(LocalDataSet data, ulong seed, double holdoutFraction)
    {
        ArgumentNullException.ThrowIfNull(data);
        DocumentSplit.Result<LocalDocument> split = data.Split(seed, holdoutFraction);
        string[] train = split.Train.Select(d => d.Text).ToArray();
        string[] holdout = split.Holdout.Select(d => d.Text).ToArray();
        if (holdoutFraction > 0 && (train.Length == 0 || holdout.Length == 0) && data.Documents.Count > 0)
        {
            var cutTrain = new List<string>();
            var cutHoldout = new List<string>();
            foreach (LocalDocument document in data.Documents)
            {
                int cut = CutPoint(document.Text, holdoutFraction);
                if (cut > 0)
                {
                    cutTrain.Add(document.Text[..cut]);
                }

                if (cut < document.Text.Length)
                {
                    cutHoldout.Add(document.Text[cut..]);
                }
            }

            return new TrainingSplit(cutTrain, cutHoldout, SubDocument: true);
        }

        // Fraction 0: nothing is held out, so the node scores itself on (the first of) its training documents.
        return new TrainingSplit(train, holdout.Length > 0 ? holdout : train.Take(1).ToArray(), SubDocument: false);
    }

    /// <summary>
    /// The problem with this split for a model of context <paramref name="context"/>, or null. The trainer samples
    /// windows of context + 1 bytes and needs one more to start (BatchSampler), so fewer than context + 2 training
    /// bytes cannot train at all.
    /// </summary>
    public string? Problem(int context, string folder, double holdoutFraction)
    {
        long needed = context + 2L;
        return TrainBytes >= needed
            ? null
            : $"data.folder {folder}: the training split holds {TrainBytes} bytes ({Train.Count} documents; {Holdout.Count} held out with " +
              $"data.holdout_fraction = {holdoutFraction}); at least {needed} bytes (the model's context + 2) are needed: add text files to the folder";
    }

    /// <summary>Index where the held-out tail of <paramref name="text"/> starts, never inside a surrogate pair.</summary>
    private static int CutPoint(string text, double holdoutFraction)
    {
        int cut = (int)Math.Floor(text.Length * (1 - holdoutFraction));
        if (cut > 0 && cut < text.Length && char.IsLowSurrogate(text[cut]))
        {
            cut--;
        }

        return cut;
    }

    private static long Bytes(IReadOnlyList<string> documents) => documents.Sum(d => Encoding.UTF8.GetByteCount(d) + 1L);
}
