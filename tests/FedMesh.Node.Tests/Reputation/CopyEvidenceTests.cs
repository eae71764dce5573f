using FedMesh.Node.Reputation;
using FedMesh.Node.Reputation.Internal;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Reputation;

/// <summary>The copy and collusion evidence's math (<see cref="CopyEvidenceMath"/>) and its per-node pair table.</summary>
public sealed class CopyEvidenceTests
{
    private const double Ratio = 0.07;
    private const double Gap = 0.5;

    private static ReadOnlyMemory<float>[] Rows(params float[][] rows) => [.. rows.Select(r => new ReadOnlyMemory<float>(r))];

    [Fact]
    public void Robust_scale_is_the_median_distance_to_the_coordinate_median()
    {
        // Coordinate median (1, 0); distances 1, 0, 1, 3, 5 -> sorted 0 1 1 3 5, median 1.
        ReadOnlyMemory<float>[] rows = Rows([0, 0], [1, 0], [2, 0], [4, 0], [1, 5]);

        Assert.Equal(1, CopyEvidenceMath.RobustScale(rows), 6);
    }

    [Fact]
    public void Near_copies_are_pairs_within_the_ratio_of_the_robust_scale_and_made_at_the_same_time()
    {
        // Scale: coordinate median (1, 0), distances 1, 0, 1, 1, 1.001 -> median 1; 0.07 of it = 0.07.
        ReadOnlyMemory<float>[] rows = Rows([0, 0], [1, 0], [1, 1], [2, 0], [2, 0.05f]);

        Assert.Equal([(3, 4)], CopyEvidenceMath.NearCopies(rows, [0, 0, 0, 0, 0.4], Ratio, Gap));
        // The same states made 0.6 round apart started from different honest states: no evidence.
        Assert.Empty(CopyEvidenceMath.NearCopies(rows, [0, 0, 0, 0, 0.6], Ratio, Gap));
        // 0.1 apart is beyond 0.07 of the scale.
        Assert.Empty(CopyEvidenceMath.NearCopies(Rows([0, 0], [1, 0], [1, 1], [2, 0], [2, 0.1f]), [0, 0, 0, 0, 0], Ratio, Gap));
    }

    [Fact]
    public void A_third_of_exact_copies_cannot_shrink_the_scale_onto_themselves()
    {
        // Three identical states among seven: the pairwise median would be small, the distance to the coordinate median
        // is set by the four others; honest states 0.5 apart stay apart.
        ReadOnlyMemory<float>[] rows = Rows([3, 3], [3, 3], [3, 3], [0, 0], [0.5f, 0], [0, 0.5f], [0.5f, 0.5f]);

        List<(int I, int J)> found = CopyEvidenceMath.NearCopies(rows, new double[7], Ratio, Gap);

        Assert.Equal([(0, 1), (0, 2), (1, 2)], found);
    }

    [Fact]
    public void A_scale_computed_once_serves_both_ratios_and_gives_the_pairs_each_search_gives_alone()
    {
        // Scale 1 (first test's rows); 0.07 finds the near copy (3, 4), 1.0 also every pair at distance <= 1.
        ReadOnlyMemory<float>[] rows = Rows([0, 0], [1, 0], [1, 1], [2, 0], [2, 0.05f]);
        double[] times = [0, 0, 0, 0, 0.4];
        double scale = CopyEvidenceMath.RobustScale(rows);

        Assert.Equal(1, scale, 9);
        Assert.Equal(CopyEvidenceMath.NearCopies(rows, times, Ratio, Gap), CopyEvidenceMath.NearCopies(rows, times, Ratio, Gap, scale));
        Assert.Equal([(0, 1), (1, 2), (1, 3), (3, 4)], CopyEvidenceMath.NearCopies(rows, times, 1.0, Gap, scale));
        // The pairs follow the scale handed in, not one recomputed: half of it leaves only the near copy.
        Assert.Equal([(3, 4)], CopyEvidenceMath.NearCopies(rows, times, 1.0, Gap, scale / 2));
        Assert.Empty(CopyEvidenceMath.NearCopies(rows, times, 1.0, Gap, 0));
    }

    [Fact]
    public void Fewer_than_three_rows_or_a_zero_scale_give_no_pairs()
    {
        Assert.Empty(CopyEvidenceMath.NearCopies(Rows([1, 1], [1, 1]), [0, 0], Ratio, Gap));
        Assert.Empty(CopyEvidenceMath.NearCopies(Rows([1, 1], [1, 1], [1, 1]), [0, 0, 0], Ratio, Gap));
        Assert.Throws<ArgumentException>(() => CopyEvidenceMath.NearCopies(Rows([1], [2], [3]), [0, 0], Ratio, Gap));
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyEvidenceMath.NearCopies(Rows([1], [2], [3]), [0, 0, 0], -1, Gap));
    }

    [Fact]
    public void A_near_copy_links_fully_and_the_history_cosine_ramps_once_observed_often_enough()
    {
        Assert.Equal(1, CopyEvidenceMath.Link(1, double.NaN, 0, 0.3, 0.6, 10, cosineCounts: true));
        Assert.Equal(0, CopyEvidenceMath.Link(0, 0.9, 9, 0.3, 0.6, 10, cosineCounts: true));
        Assert.Equal(0, CopyEvidenceMath.Link(0, 0.3, 10, 0.3, 0.6, 10, cosineCounts: true));
        Assert.Equal(0.5, CopyEvidenceMath.Link(0, 0.45, 10, 0.3, 0.6, 10, cosineCounts: true), 9);
        // A cosine that does not count (neither peer was ever a near copy) links nothing; a near copy still does.
        Assert.Equal(0, CopyEvidenceMath.Link(0, 0.8, 12, 0.3, 0.6, 10, cosineCounts: false));
        Assert.Equal(1, CopyEvidenceMath.Link(1, 0.8, 12, 0.3, 0.6, 10, cosineCounts: false));
        Assert.Equal(1, CopyEvidenceMath.Link(0, 0.8, 12, 0.3, 0.6, 10, cosineCounts: true));
        Assert.Equal(0, CopyEvidenceMath.Link(0, -0.5, 40, 0.3, 0.6, 10, cosineCounts: true));
        Assert.Throws<ArgumentException>(() => CopyEvidenceMath.Link(0, 0.5, 10, 0.6, 0.3, 10, cosineCounts: true));
    }

    [Fact]
    public void Linked_inputs_share_one_weight_and_an_input_loses_weight_only_to_its_own_links()
    {
        // Inputs 0-2 are copies of each other (fully linked), 3 is linked to 0 by half, 4 to nothing.
        double[,] link = new double[5, 5];
        link[0, 1] = link[0, 2] = link[1, 2] = 1;
        link[0, 3] = 0.5;
        double[] sums = CopyEvidenceMath.LinkSums(5, (i, j) => link[i, j]);

        Assert.Equal([2.5, 2, 2, 0.5, 0], sums);
        double[] factor = [.. sums.Select(s => CopyEvidenceMath.ShareFactor(s, 1))];
        Assert.Equal(1 / 3.5, factor[0], 12);
        Assert.Equal(1 / 3.0, factor[1], 12);
        Assert.Equal(1 / 1.5, factor[3], 12);
        Assert.Equal(1, factor[4]);
        // Two fully linked copies (a replayer and the node it replays) weigh together as the node alone did.
        Assert.Equal(1, 2 * CopyEvidenceMath.ShareFactor(1, 1), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyEvidenceMath.ShareFactor(-1, 1));
    }

    [Theory]
    [InlineData(2, 1.0)]
    [InlineData(3, 1.0)]
    [InlineData(6, 1.0)]
    [InlineData(2, 2.0)]
    [InlineData(3, 2.0)]
    [InlineData(6, 2.0)]
    [InlineData(4, 0.0)]
    public void A_group_of_k_fully_linked_copies_weighs_k_to_the_one_minus_e_inputs_together(int k, double exponent)
    {
        // Each of k mutually linked copies has links to the k − 1 others: sum k − 1, factor k^−e; the group weighs
        // k · k^−e. At the default exponent 2 six colluders that copy each other weigh 1/6 of one input, at 1 one input.
        double group = k * CopyEvidenceMath.ShareFactor(k - 1, exponent);
        Assert.Equal(Math.Pow(k, 1 - exponent), group, 12);
        Assert.Equal(1, CopyEvidenceMath.ShareFactor(0, exponent));
        // Exponent 1 is the plain quotient 1 / (1 + sum), to the last bit.
        Assert.Equal(1 / (1 + (double)(k - 1)), CopyEvidenceMath.ShareFactor(k - 1, 1));
    }

    [Fact]
    public void The_default_exponent_discounts_a_linked_pair_to_half_a_voice_and_invalid_exponents_are_refused()
    {
        var defaults = new ReputationOptions();
        Assert.Equal(2, defaults.CopyShareExponent);
        Assert.Equal(0.5, 2 * CopyEvidenceMath.ShareFactor(1, defaults.CopyShareExponent), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyEvidenceMath.ShareFactor(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CopyEvidenceMath.ShareFactor(1, double.PositiveInfinity));
        Assert.Contains(new ReputationOptions { CopyShareExponent = -0.5 }.Validate(), e => e.Contains("reputation.copy_share_exponent", StringComparison.Ordinal));
        Assert.Contains(new ReputationOptions { CopyShareExponent = 17 }.Validate(), e => e.Contains("reputation.copy_share_exponent", StringComparison.Ordinal));
        Assert.Empty(new ReputationOptions { CopyShareExponent = 0 }.Validate());
    }

    [Fact]
    public void The_pair_table_counts_each_pair_of_releases_once_in_either_order()
    {
        var evidence = new CopyEvidence(16, 0.5, 10, cosineNeedsCloseCall: false);
        PeerId a = ReputationTests.Peer(1), b = ReputationTests.Peer(2);

        Assert.Equal(1, evidence.RecordNearCopy(a, 5, b, 7));
        Assert.Equal(1, evidence.RecordNearCopy(b, 7, a, 5));
        Assert.Equal(2, evidence.RecordNearCopy(a, 6, b, 8));
        evidence.ObserveCosine(b, a, 0.2);
        evidence.ObserveCosine(a, b, 0.6);

        (int nearCopies, double mean, int n) = evidence.Of(b, a);
        Assert.Equal((2, 0.4, 2), (nearCopies, Math.Round(mean, 9), n));
        Assert.Equal(1, evidence.Count);
    }

    [Fact]
    public void The_pair_table_evicts_the_least_recently_observed_pair_and_lists_the_linked_peers()
    {
        PeerId a = ReputationTests.Peer(1), b = ReputationTests.Peer(2), c = ReputationTests.Peer(3), d = ReputationTests.Peer(4);
        CopyEvidence Filled(double pushPastCosine, int minObservations)
        {
            var evidence = new CopyEvidence(2, pushPastCosine, minObservations, cosineNeedsCloseCall: false);
            evidence.RecordNearCopy(a, 1, b, 1);
            for (int i = 0; i < 10; i++)
            {
                evidence.ObserveCosine(c, d, 0.55);
            }

            return evidence;
        }

        CopyEvidence filled = Filled(0.5, 10);
        Assert.Equal(new HashSet<PeerId> { a, b, c, d }, filled.LinkedPeers.ToHashSet());
        Assert.Equal(new HashSet<PeerId> { a, b }, Filled(0.6, 10).LinkedPeers.ToHashSet());
        Assert.Equal(new HashSet<PeerId> { a, b }, Filled(0.5, 11).LinkedPeers.ToHashSet());

        long version = filled.LinkedVersion;
        filled.ObserveCosine(a, c, 0); // a third pair: (a, b), observed least recently, goes, and a and b with it
        Assert.Equal(2, filled.Count);
        Assert.Equal(0, filled.Of(a, b).NearCopies);
        Assert.Equal(10, filled.Of(c, d).Observations);
        Assert.Equal(new HashSet<PeerId> { c, d }, filled.LinkedPeers.ToHashSet());
        Assert.NotEqual(version, filled.LinkedVersion);
    }

    [Fact]
    public void A_history_cosine_links_a_pair_only_while_one_of_the_two_has_a_kept_close_call()
    {
        PeerId a = ReputationTests.Peer(1), b = ReputationTests.Peer(2), c = ReputationTests.Peer(3), d = ReputationTests.Peer(4);
        var evidence = new CopyEvidence(3, 0.5, 10, cosineNeedsCloseCall: true);
        for (int i = 0; i < 10; i++)
        {
            evidence.ObserveCosine(a, b, 0.7); // alike honest data: correlated, never copies
        }

        Assert.Empty(evidence.LinkedPeers);
        Assert.False(evidence.CosineCounts(a, b));

        long version = evidence.LinkedVersion;
        evidence.RecordCloseCall(b, c); // b caught close to c: (a, b)'s cosine now counts; a close call alone links no pair
        Assert.True(evidence.HasCloseCall(b));
        Assert.True(evidence.CosineCounts(a, b));
        Assert.Equal(new HashSet<PeerId> { a, b }, evidence.LinkedPeers.ToHashSet());
        Assert.NotEqual(version, evidence.LinkedVersion);

        evidence.ObserveCosine(a, b, 0.7);
        evidence.ObserveCosine(c, d, 0);
        evidence.ObserveCosine(a, d, 0); // a fourth pair in a table of 3 evicts (b, c), the only close call
        Assert.False(evidence.HasCloseCall(b));
        Assert.False(evidence.CosineCounts(a, b));
        Assert.Empty(evidence.LinkedPeers);

        var cosineAlone = new CopyEvidence(3, 0.5, 10, cosineNeedsCloseCall: false);
        for (int i = 0; i < 10; i++)
        {
            cosineAlone.ObserveCosine(a, b, 0.7);
        }

        Assert.Equal(new HashSet<PeerId> { a, b }, cosineAlone.LinkedPeers.ToHashSet());
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void The_linked_peers_kept_as_evidence_changes_equal_the_set_rebuilt_from_every_kept_pair(int seed, bool cosineNeedsCloseCall)
    {
        // Six peers (15 pairs) in a table of 5: most steps evict a pair; cosines around the push-past cosine make pairs
        // link and unlink again; near copies with repeated sequences are counted once.
        const double PushPast = 0.5;
        const int MinObservations = 3;
        var evidence = new CopyEvidence(5, PushPast, MinObservations, cosineNeedsCloseCall);
        PeerId[] peers = [.. Enumerable.Range(1, 6).Select(i => ReputationTests.Peer((byte)i))];
        var random = new Random(seed);
        HashSet<PeerId> before = [];
        long version = evidence.LinkedVersion;
        int changes = 0, evictions = 0;
        for (int step = 0; step < 2000; step++)
        {
            int i = random.Next(peers.Length), j = (i + 1 + random.Next(peers.Length - 1)) % peers.Length;
            // A kept pair has at least one near copy or cosine: a new pair in a full table evicts one.
            bool evicts = evidence.Count == 5 && evidence.Of(peers[i], peers[j]) is { NearCopies: 0, Observations: 0 }
                && evidence.CloseCallsOf(peers[i], peers[j]) == 0;
            int draw = random.Next(20);
            if (draw == 0)
            {
                evidence.RecordNearCopy(peers[i], (ulong)random.Next(3), peers[j], (ulong)random.Next(3));
            }
            else if (draw == 1)
            {
                evidence.RecordCloseCall(peers[i], peers[j]);
            }
            else
            {
                evidence.ObserveCosine(peers[i], peers[j], (random.NextDouble() * 2) - 0.9);
            }

            evictions += evicts ? 1 : 0;
            HashSet<PeerId> close = [.. peers.Where(x => peers.Any(y => x != y && evidence.CloseCallsOf(x, y) > 0))];
            HashSet<PeerId> rebuilt = [];
            foreach (PeerId x in peers)
            {
                foreach (PeerId y in peers)
                {
                    (int nearCopies, double mean, int n) = evidence.Of(x, y);
                    bool cosineCounts = !cosineNeedsCloseCall || close.Contains(x) || close.Contains(y);
                    if (x != y && (nearCopies > 0 || (cosineCounts && n >= MinObservations && mean >= PushPast)))
                    {
                        rebuilt.Add(x);
                        rebuilt.Add(y);
                    }
                }
            }

            HashSet<PeerId> kept = evidence.LinkedPeers.ToHashSet();
            Assert.True(rebuilt.SetEquals(kept), $"step {step}: kept {kept.Count} linked peers, rebuilt {rebuilt.Count}");
            if (!kept.SetEquals(before))
            {
                changes++;
                Assert.NotEqual(version, evidence.LinkedVersion);
            }

            before = kept;
            version = evidence.LinkedVersion;
        }

        Assert.True(changes > 20, $"{changes} changes of the linked set");
        Assert.True(evictions > 100, $"{evictions} evictions");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_pair_table_keeps_what_a_plain_least_recently_used_list_keeps_and_a_handed_out_entry_reads_as_a_lookup(int seed)
    {
        // Seven peers (21 pairs) in a table of 6, against a reference: a list of keys in recency order (front = least
        // recent) with each key's evidence. After every step every pair's evidence must be the reference's (0, NaN, 0
        // once evicted), and every entry ObserveCosine handed out must read as the lookup does, kept or evicted since.
        const int Max = 6;
        var evidence = new CopyEvidence(Max, 0.5, 3, cosineNeedsCloseCall: false);
        PeerId[] peers = [.. Enumerable.Range(1, 7).Select(i => ReputationTests.Peer((byte)i))];
        var random = new Random(seed);
        var recency = new List<(int, int)>();
        var expected = new Dictionary<(int, int), (int NearCopies, ulong SequenceA, ulong SequenceB, double Sum, int Count)>();
        var handedOut = new List<(CopyEvidence.Pair Entry, int I, int J)>();
        int evictions = 0, reused = 0;
        for (int step = 0; step < 3000; step++)
        {
            int i = random.Next(peers.Length), j = (i + 1 + random.Next(peers.Length - 1)) % peers.Length;
            (int, int) key = string.CompareOrdinal(peers[i].Value, peers[j].Value) <= 0 ? (i, j) : (j, i);
            if (!recency.Remove(key) && recency.Count == Max)
            {
                expected.Remove(recency[0]);
                recency.RemoveAt(0);
                evictions++;
            }

            recency.Add(key);
            var e = expected.GetValueOrDefault(key);
            if (random.Next(10) == 0)
            {
                ulong si = (ulong)random.Next(3), sj = (ulong)random.Next(3);
                (ulong sa, ulong sb) = key.Item1 == i ? (si, sj) : (sj, si);
                if (e.NearCopies == 0 || e.SequenceA != sa || e.SequenceB != sb)
                {
                    e = (e.NearCopies + 1, sa, sb, e.Sum, e.Count);
                }

                evidence.RecordNearCopy(peers[i], si, peers[j], sj);
            }
            else
            {
                double cosine = Math.Round(random.NextDouble(), 3);
                e = (e.NearCopies, e.SequenceA, e.SequenceB, e.Sum + cosine, e.Count + 1);
                handedOut.Add((evidence.ObserveCosine(peers[i], peers[j], cosine), i, j));
            }

            expected[key] = e;
            Assert.Equal(recency.Count, evidence.Count);
            for (int x = 0; x < peers.Length; x++)
            {
                for (int y = x + 1; y < peers.Length; y++)
                {
                    (int, int) k = string.CompareOrdinal(peers[x].Value, peers[y].Value) <= 0 ? (x, y) : (y, x);
                    (int NearCopies, double MeanCosine, int Observations) want = expected.TryGetValue(k, out var w)
                        ? (w.NearCopies, w.Count > 0 ? w.Sum / w.Count : double.NaN, w.Count)
                        : (0, double.NaN, 0);
                    Assert.True(want.Equals(evidence.Of(peers[x], peers[y])), $"step {step}: pair ({x}, {y}) {evidence.Of(peers[x], peers[y])}, expected {want}");
                }
            }

            foreach ((CopyEvidence.Pair entry, int a, int b) in handedOut.Skip(Math.Max(0, handedOut.Count - 40)))
            {
                reused += entry.Kept ? 1 : 0;
                Assert.Equal(evidence.Of(peers[a], peers[b]), evidence.Of(entry, peers[b], peers[a]));
            }
        }

        Assert.True(evictions > 500, $"{evictions} evictions");
        Assert.True(reused > 1000, $"{reused} kept entries read");
    }

    [Fact]
    public void Pushes_go_past_copy_linked_peers_as_past_ignored_ones()
    {
        var tracker = new ReputationTracker(ReputationOptions.Default);
        PeerId linked = ReputationTests.Peer(1), other = ReputationTests.Peer(2);

        Assert.False(tracker.PassedOverInFanout(linked));
        tracker.SetCopyLinked(new HashSet<PeerId> { linked });
        Assert.True(tracker.IsCopyLinked(linked));
        Assert.True(tracker.PassedOverInFanout(linked));
        Assert.False(tracker.PassedOverInFanout(other));
        tracker.SetCopyLinked(new HashSet<PeerId>());
        Assert.False(tracker.PassedOverInFanout(linked));
    }

    [Fact]
    public void Options_name_the_key_of_a_bad_copy_setting()
    {
        IReadOnlyList<string> errors = (ReputationOptions.Default with { CopyLinkCosineLow = 0.7, MaxCopyPairs = 0, NearCopyRatio = -1 }).Validate();

        Assert.Contains(errors, e => e.Contains("reputation.copy_link_cosine_low", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("reputation.max_copy_pairs", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("reputation.near_copy_ratio", StringComparison.Ordinal));
        Assert.Contains(
            (ReputationOptions.Default with { CloseCallRatio = ReputationOptions.Default.NearCopyRatio / 2 }).Validate(),
            e => e.Contains("reputation.close_call_ratio", StringComparison.Ordinal));
        Assert.Empty(ReputationOptions.Default.Validate());
    }
}
