using FedMesh.Node.Data;

namespace FedMesh.Node.Tests.Data;

public sealed class DocumentSplitTests
{
    private static readonly string[] Documents = Enumerable.Range(0, 2000).Select(i => $"document number {i}").ToArray();

    [Fact]
    public void The_split_is_the_same_for_the_same_seed_and_independent_of_order()
    {
        var shuffled = Documents.ToArray();
        new Random(7).Shuffle(shuffled);

        var first = DocumentSplit.Split(Documents, d => d, seed: 42, holdoutFraction: 0.2);
        var again = DocumentSplit.Split(Documents, d => d, seed: 42, holdoutFraction: 0.2);
        var reordered = DocumentSplit.Split(shuffled, d => d, seed: 42, holdoutFraction: 0.2);

        Assert.Equal(first.Holdout, again.Holdout);
        Assert.Equal(first.Holdout.Order(StringComparer.Ordinal), reordered.Holdout.Order(StringComparer.Ordinal));
        Assert.Equal(Documents.Length, first.Train.Count + first.Holdout.Count);
        Assert.Empty(first.Train.Intersect(first.Holdout));
    }

    [Fact]
    public void Another_seed_gives_another_split_of_about_the_requested_size()
    {
        var a = DocumentSplit.Split(Documents, d => d, seed: 1, holdoutFraction: 0.2);
        var b = DocumentSplit.Split(Documents, d => d, seed: 2, holdoutFraction: 0.2);

        Assert.NotEqual(a.Holdout, b.Holdout);

        // Binomial(2000, 0.2): mean 400, sd ≈ 17.9; ±90 is five standard deviations.
        Assert.InRange(a.Holdout.Count, 310, 490);
        Assert.InRange(b.Holdout.Count, 310, 490);
    }

    [Fact]
    public void Adding_documents_never_moves_an_existing_document_across_the_split()
    {
        var small = DocumentSplit.Split(Documents[..500], d => d, seed: 9, holdoutFraction: 0.3);
        var large = DocumentSplit.Split(Documents, d => d, seed: 9, holdoutFraction: 0.3);

        Assert.All(small.Holdout, d => Assert.Contains(d, large.Holdout));
        Assert.All(small.Train, d => Assert.Contains(d, large.Train));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 2000)]
    public void Fractions_zero_and_one_hold_out_nothing_or_everything(double fraction, int expected) =>
        Assert.Equal(expected, DocumentSplit.Split(Documents, d => d, seed: 3, holdoutFraction: fraction).Holdout.Count);

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_fraction_outside_zero_to_one_is_rejected(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DocumentSplit.IsHoldout("x", 0, fraction));

    [Fact]
    public void A_loaded_data_set_splits_by_content_so_duplicates_stay_together()
    {
        var documents = Documents.Select((t, i) => new LocalDocument($"f{i}.txt", t))
            .Concat(Documents.Select((t, i) => new LocalDocument($"copy{i}.txt", t))).ToArray();
        var data = new LocalDataSet(documents, null!);

        var split = data.Split(seed: 5, holdoutFraction: 0.25);

        var heldTexts = split.Holdout.Select(d => d.Text).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(split.Train, d => heldTexts.Contains(d.Text));
        Assert.Equal(2 * heldTexts.Count, split.Holdout.Count);
    }
}
