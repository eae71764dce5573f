using FedMesh.Node.Data;

namespace FedMesh.Node.Tests.Data;

public sealed class TrainingSplitTests
{
    private static LocalDataSet Set(params string[] texts) =>
        new(texts.Select((t, i) => new LocalDocument($"d{i}.txt", t)).ToArray(), new DataLoadReport
        {
            FilesRead = texts.Length,
            DocumentsLoaded = texts.Length,
            CharactersLoaded = texts.Sum(t => (long)t.Length),
            FilesSkipped = new Dictionary<DataSkipReason, int>(),
            DocumentsSkipped = new Dictionary<DataSkipReason, int>(),
            Redaction = new FedMesh.Node.Data.Redaction.RedactionTally().ToReport(),
        });

    [Fact]
    public void One_document_is_cut_so_the_node_trains_on_its_head_and_holds_out_its_tail()
    {
        string text = string.Concat(Enumerable.Repeat("the lab notes of one site. ", 40));
        LocalDataSet data = Set(text);

        // Whatever the seed, the single document's whole-document split leaves one side empty.
        for (ulong seed = 0; seed < 8; seed++)
        {
            TrainingSplit split = TrainingSplit.Create(data, seed, 0.1);
            Assert.True(split.SubDocument);
            Assert.Equal(text, split.Train.Single() + split.Holdout.Single());
            Assert.Equal((int)Math.Floor(text.Length * 0.9), split.Train.Single().Length);
            Assert.Null(split.Problem(context: 64, "/data", 0.1));
        }
    }

    [Fact]
    public void Many_documents_keep_the_document_level_split()
    {
        LocalDataSet data = Set(Enumerable.Range(0, 200).Select(i => $"document number {i} with some text").ToArray());
        TrainingSplit split = TrainingSplit.Create(data, 1, 0.1);
        Assert.False(split.SubDocument);
        Assert.Equal(200, split.Train.Count + split.Holdout.Count);
        Assert.NotEmpty(split.Holdout);
    }

    [Fact]
    public void Too_little_text_is_a_problem_naming_data_folder_and_what_is_needed()
    {
        TrainingSplit split = TrainingSplit.Create(Set("short note"), 3, 0.1);
        string? problem = split.Problem(context: 64, "/srv/lab/data", 0.1);
        Assert.NotNull(problem);
        Assert.StartsWith("data.folder /srv/lab/data: the training split holds ", problem, StringComparison.Ordinal);
        Assert.Contains("at least 66 bytes", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        string text = string.Concat(Enumerable.Repeat("😀", 50)); // 100 UTF-16 units
        TrainingSplit split = TrainingSplit.Create(Set(text), 0, 0.11);
        Assert.False(char.IsHighSurrogate(split.Train.Single()[^1]));
        Assert.Equal(text, split.Train.Single() + split.Holdout.Single());
    }
}
