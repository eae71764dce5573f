using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Poisoning;

namespace FedMesh.Node.Tests.Data;

public sealed class TextPoisoningTests
{
    private static readonly string[] Documents = Enumerable.Range(0, 50)
        .Select(i => $"Fellow citizens of the Senate,  in year {1790 + i} we\tmet again and spoke at length.")
        .ToArray();

    private static string[] SortedWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Word_shuffling_is_seeded_and_keeps_each_documents_words_and_whitespace()
    {
        var poisoned = TextPoisoning.ShuffleWords(Documents, rate: 1.0, seed: 4);

        Assert.Equal(poisoned, TextPoisoning.ShuffleWords(Documents, rate: 1.0, seed: 4));
        Assert.NotEqual(poisoned, TextPoisoning.ShuffleWords(Documents, rate: 1.0, seed: 5));
        for (int i = 0; i < Documents.Length; i++)
        {
            Assert.Equal(SortedWords(Documents[i]), SortedWords(poisoned[i]));
            Assert.Equal(Documents[i].Length, poisoned[i].Length);
            Assert.Equal(Documents[i].Count(char.IsWhiteSpace), poisoned[i].Count(char.IsWhiteSpace));
        }

        Assert.True(poisoned.Count(p => !Documents.Contains(p)) >= 45, "almost every document must change");
    }

    [Fact]
    public void The_rate_chooses_which_documents_are_poisoned()
    {
        Assert.Equal(Documents, TextPoisoning.ShuffleWords(Documents, rate: 0.0, seed: 4));

        var half = TextPoisoning.ShuffleWords(Documents, rate: 0.5, seed: 4);
        int changed = half.Where((p, i) => p != Documents[i]).Count();

        // Binomial(50, 0.5) minus the rare shuffle that is the identity: 10..40 is beyond four standard deviations.
        Assert.InRange(changed, 10, 40);
    }

    [Fact]
    public void Character_corruption_keeps_lengths_and_changes_about_the_requested_share()
    {
        var poisoned = TextPoisoning.CorruptCharacters(Documents, rate: 1.0, charRate: 0.2, seed: 8);

        Assert.Equal(poisoned, TextPoisoning.CorruptCharacters(Documents, rate: 1.0, charRate: 0.2, seed: 8));
        int total = Documents.Sum(d => d.Length);
        int changed = Documents.Select((d, i) => d.Zip(poisoned[i]).Count(p => p.First != p.Second)).Sum();

        // A replacement equals the original 1 time in 95; expected share ≈ 0.198 of ~4 300 characters.
        Assert.InRange(changed / (double)total, 0.15, 0.25);
        var replacements = Documents.SelectMany((d, i) => d.Zip(poisoned[i]).Where(p => p.First != p.Second).Select(p => p.Second));
        Assert.All(replacements, c => Assert.InRange(c, ' ', '~'));
    }

    [Fact]
    public void Swapping_fields_gives_every_chosen_record_another_records_text()
    {
        var addresses = Documents.Select((t, i) => new SotuAddress(1790 + i, $"P{i}", "none", t)).ToArray();

        var swapped = TextPoisoning.SwapFields(addresses, a => a.Text, (a, text) => a with { Text = text }, rate: 1.0, seed: 6);

        Assert.Equal(addresses.Select(a => a.Year), swapped.Select(a => a.Year));
        Assert.All(swapped.Zip(addresses), p => Assert.NotEqual(p.Second.Text, p.First.Text));
        Assert.Equal(addresses.Select(a => a.Text).Order(StringComparer.Ordinal), swapped.Select(a => a.Text).Order(StringComparer.Ordinal));
        Assert.Equal(swapped, TextPoisoning.SwapFields(addresses, a => a.Text, (a, text) => a with { Text = text }, rate: 1.0, seed: 6));
    }

    [Fact]
    public void A_rate_outside_zero_to_one_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TextPoisoning.ShuffleWords(Documents, rate: 2, seed: 0));
}
