namespace FedMesh.Node.Data;

/// <summary>The redacted documents of a node's data folder and the report of how they were loaded.</summary>
public sealed record LocalDataSet(IReadOnlyList<LocalDocument> Documents, DataLoadReport Report)
{
    /// <summary>The document texts, as the trainer takes them (a new array on each call).</summary>
    public IReadOnlyList<string> Texts => Documents.Select(d => d.Text).ToArray();

    /// <summary>
    /// Train/holdout split keyed by document content (see <see cref="DocumentSplit"/>): exact duplicates always
    /// land on the same side, so the holdout never contains a copy of a training document.
    /// </summary>
    public DocumentSplit.Result<LocalDocument> Split(ulong seed, double holdoutFraction) =>
        DocumentSplit.Split(Documents, d => d.Text, seed, holdoutFraction);
}
