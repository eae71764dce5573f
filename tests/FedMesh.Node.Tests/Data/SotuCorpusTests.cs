using System.Text.RegularExpressions;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Redaction;

namespace FedMesh.Node.Tests.Data;

public sealed partial class SotuCorpusTests
{
    private static readonly Lazy<IReadOnlyList<SotuAddress>> Sotu = new(SotuCorpus.ReadShipped);

    [Fact]
    public void The_shipped_corpus_has_all_233_addresses_in_year_order()
    {
        var addresses = Sotu.Value;

        Assert.Equal(233, addresses.Count);
        Assert.Equal(1790, addresses[0].Year);
        Assert.Equal("George Washington", addresses[0].President);
        Assert.True(addresses.Zip(addresses.Skip(1)).All(p => p.First.Year <= p.Second.Year));
        Assert.Equal(addresses.Count, addresses.Select(a => a.Id).Distinct().Count());
        Assert.InRange(addresses.Sum(a => (long)a.Text.Length), 10_500_000, 11_000_000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(8)]
    public void Era_shards_are_contiguous_non_overlapping_and_cover_every_training_address(int nodes)
    {
        var partition = SotuPartition.Create(Sotu.Value, nodes, SotuSplitOptions.Default);

        Assert.Equal(nodes, partition.Shards.Count);
        for (int i = 0; i + 1 < nodes; i++)
        {
            Assert.True(partition.Shards[i].LastYear < partition.Shards[i + 1].FirstYear);
        }

        // Each shard is exactly the training addresses within its year range: contiguous in time.
        var training = Sotu.Value.Where(a => !partition.Holdout.Contains(a)).ToArray();
        foreach (var shard in partition.Shards)
        {
            var inRange = training.Where(a => a.Year >= shard.FirstYear && a.Year <= shard.LastYear).Select(a => a.Id);
            Assert.Equal(inRange.Order(StringComparer.Ordinal), shard.Addresses.Select(a => a.Id).Order(StringComparer.Ordinal));
        }

        Assert.Equal(training.Length, partition.Shards.Sum(s => s.Addresses.Count));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Era_shards_are_balanced_by_characters(int nodes)
    {
        var shards = SotuPartition.Create(Sotu.Value, nodes, SotuSplitOptions.Default).Shards;

        // Whole years are indivisible (the longest is 217 k chars), so perfect balance is impossible; 20 % is ample.
        double mean = shards.Average(s => (double)s.Characters);
        Assert.All(shards, s => Assert.InRange(s.Characters, mean * 0.8, mean * 1.2));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void The_global_holdout_touches_every_era_and_is_in_no_training_shard(int nodes)
    {
        var partition = SotuPartition.Create(Sotu.Value, nodes, SotuSplitOptions.Default);
        var held = partition.Holdout.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(23, partition.Holdout.Count);
        foreach (var shard in partition.Shards)
        {
            Assert.Contains(partition.Holdout, a => a.Year >= shard.FirstYear && a.Year <= shard.LastYear);
            Assert.DoesNotContain(shard.Addresses, a => held.Contains(a.Id));
        }
    }

    [Fact]
    public void The_holdout_does_not_depend_on_the_split_mode_or_node_count()
    {
        var era = SotuPartition.Create(Sotu.Value, 4, SotuSplitOptions.Default);
        var iid = SotuPartition.Create(Sotu.Value, 7, SotuSplitOptions.Default with { Mode = SotuSplitMode.Iid });

        Assert.Equal(era.Holdout.Select(a => a.Id), iid.Holdout.Select(a => a.Id));
    }

    [Fact]
    public void Iid_shards_are_disjoint_cover_the_training_set_and_depend_on_the_seed()
    {
        var options = SotuSplitOptions.Default with { Mode = SotuSplitMode.Iid };
        var partition = SotuPartition.Create(Sotu.Value, 4, options);
        var again = SotuPartition.Create(Sotu.Value.Reverse().ToArray(), 4, options);
        var reseeded = SotuPartition.Create(Sotu.Value, 4, options with { Seed = 99 });

        var ids = partition.Shards.SelectMany(s => s.Addresses).Select(a => a.Id).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(Sotu.Value.Count - partition.Holdout.Count, ids.Length);
        Assert.Equal(
            partition.Shards.Select(s => string.Join('|', s.Addresses.Select(a => a.Id))),
            again.Shards.Select(s => string.Join('|', s.Addresses.Select(a => a.Id))));
        Assert.NotEqual(
            partition.Shards[0].Addresses.Select(a => a.Id),
            reseeded.Shards[0].Addresses.Select(a => a.Id));

        // IID: every shard spans (nearly) the whole period instead of one era.
        Assert.All(partition.Shards, s => Assert.True(s.LastYear - s.FirstYear > 150));
    }

    [Fact]
    public void Shards_describe_themselves_for_the_demo()
    {
        var era = SotuPartition.Create(Sotu.Value, 4, SotuSplitOptions.Default).Shards[1];
        var iid = SotuPartition.Create(Sotu.Value, 4, SotuSplitOptions.Default with { Mode = SotuSplitMode.Iid }).Shards[1];

        Assert.Matches(EraDescription(), era.Describe());
        Assert.Matches(IidDescription(), iid.Describe());
    }

    [Fact]
    public void Too_many_nodes_for_the_years_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SotuPartition.Create(Sotu.Value, 500, SotuSplitOptions.Default));

        Assert.Contains("500 nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_redaction_finds_no_personal_data_in_two_centuries_of_addresses()
    {
        var redactor = new Redactor(RedactionOptions.Default);
        var tally = new RedactionTally();

        foreach (var address in Sotu.Value)
        {
            Assert.True(redactor.TryRedact(address.Text, tally, out _));
        }

        Assert.Equal("none", tally.ToReport().ToString());
    }

    [Fact]
    public void The_shipped_moby_dick_has_every_chapter()
    {
        var chapters = MobyDickCorpus.ReadShipped();

        Assert.Equal(139, chapters.Count);
        Assert.Contains(chapters, c => c.Chapter == "1" && c.Title == "Loomings.");
        Assert.Contains(chapters, c => c.Chapter == "Epilogue");
        Assert.StartsWith("Call me Ishmael.", chapters.Single(c => c.Chapter == "1").Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_corpus_file_is_reported_with_its_line()
    {
        using var folder = new TempFolder();
        string path = folder.WriteGzip("sotu.jsonl.gz",
            "{\"year\":1790,\"name\":\"A\",\"party\":\"none\",\"text\":\"t\"}\n{\"year\":\"x\"}\n");

        var error = Assert.Throws<InvalidDataException>(() => SotuCorpus.Read(path));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^node 2/4: [0-9]{4}–[0-9]{4}, [0-9]+(\.[0-9])? M chars$")]
    private static partial Regex EraDescription();

    [GeneratedRegex(@"^node 2/4: IID, [0-9]+ addresses [0-9]{4}–[0-9]{4}, [0-9]+(\.[0-9])? M chars$")]
    private static partial Regex IidDescription();
}
