using System.Text;
using FedMesh.Node.Privacy;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Tests.Privacy;

public sealed class PrivacyLedgerTests : IDisposable
{
    private static readonly GaussianRelease Release = new(1.0, 1.1, 0.01, 100);

    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-ledger-").FullName;

    private string LedgerPath => new FedMesh.Node.Storage.StatePaths(_dir).PrivacyLedger;

    private string AnchorPath => LogAnchor.PathFor(LedgerPath);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PrivacyOptions Options(double budget = 100) => PrivacyOptions.Default with
    {
        NoiseMultiplier = Release.NoiseMultiplier,
        SamplingRate = Release.SamplingRate,
        StepsPerRelease = Release.Steps,
        BudgetEpsilon = budget,
    };

    private static double ExpectedEpsilon(long releases) =>
        RdpAccountant.EpsilonImproved(
            RdpAccountant.ComposedRdp(RdpAccountant.DefaultOrders, Release.SamplingRate, Release.NoiseMultiplier, Release.Steps * releases),
            RdpAccountant.DefaultOrders,
            PrivacyOptions.Default.BudgetDelta).Epsilon;

    private void Append(int count, string? path = null, string contentPrefix = "delta")
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(path ?? LedgerPath, Options());
        for (int i = 0; i < count; i++)
        {
            Assert.True(ledger.ReserveRelease(Release, $"{contentPrefix}-{i}").Granted);
        }
    }

    /// <summary>Opens the ledger and checks it is in the truncated state for <paramref name="because"/> and refuses.</summary>
    private void AssertTruncatedAndRefusing(string because)
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options());
        Assert.Equal(PrivacyBudgetState.Truncated, ledger.GetStatus().State);
        Assert.Contains(because, ledger.GetStatus().Message, StringComparison.Ordinal);
        Assert.False(ledger.ReserveRelease(Release).Granted);
    }

    [Fact]
    public void Reopen_after_many_appends_gives_the_same_epsilon()
    {
        Append(50);
        double first;
        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            first = ledger.GetStatus().SpentEpsilon;
            Assert.Equal(50, ledger.GetStatus().Releases);
            Assert.True(ledger.ReserveRelease(Release).Granted);
        }

        using PrivacyLedger reopened = PrivacyLedger.Open(LedgerPath, Options());
        PrivacyBudgetStatus status = reopened.GetStatus();
        Assert.Equal(51, status.Releases);
        Assert.Equal(ExpectedEpsilon(50), first, 9);
        Assert.Equal(ExpectedEpsilon(51), status.SpentEpsilon, 9);
        Assert.True(status.SpentEpsilonClassic >= status.SpentEpsilon);
        Assert.Equal("delta-3", reopened.Entries[3].ContentId);
        Assert.Equal(0, status.TornRecordsCharged);
    }

    /// <summary>
    /// One release whose process dies after the record's fsync and before its anchor is rewritten (the anchor is put
    /// back as it was): the durable state a crash at that point leaves.
    /// </summary>
    private void AppendCrashingBeforeTheAnchor()
    {
        byte[] anchor = File.ReadAllBytes(AnchorPath);
        Append(1);
        File.WriteAllBytes(AnchorPath, anchor);
    }

    private void RemoveLastLine()
    {
        string[] lines = File.ReadAllLines(LedgerPath);
        File.WriteAllLines(LedgerPath, lines[..^1]);
    }

    [Fact]
    public void Truncated_last_record_is_detected_charged_and_repaired()
    {
        Append(5);
        long intact = new FileInfo(LedgerPath).Length;
        // A crash mid-write: only part of the sixth record reached the disk (and so its anchor was never written).
        AppendCrashingBeforeTheAnchor();
        using (var stream = new FileStream(LedgerPath, FileMode.Open))
        {
            stream.SetLength(intact + 40);
        }

        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            PrivacyBudgetStatus status = ledger.GetStatus();
            Assert.Equal(5, status.Releases);
            Assert.Equal(1, status.TornRecordsCharged);
            Assert.Equal(ExpectedEpsilon(6), status.SpentEpsilon, 9);
            Assert.NotNull(ledger.TornTailMessage);
            Assert.Contains($"byte offset {intact}", ledger.TornTailMessage, StringComparison.Ordinal);
            Assert.True(ledger.ReserveRelease(Release).Granted);
        }

        // The repaired file opens cleanly and the torn record is still counted, exactly once.
        using PrivacyLedger again = PrivacyLedger.Open(LedgerPath, Options());
        Assert.Null(again.TornTailMessage);
        Assert.Equal(6, again.GetStatus().Releases);
        Assert.Equal(1, again.GetStatus().TornRecordsCharged);
        Assert.Equal(ExpectedEpsilon(7), again.GetStatus().SpentEpsilon, 9);
    }

    [Fact]
    public void Torn_record_is_charged_with_parameters_dominating_the_last_release_and_the_configuration()
    {
        var weak = new GaussianRelease(1.0, 0.8, 0.05, 300);
        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            Assert.True(ledger.ReserveRelease(weak).Granted);
        }

        File.AppendAllText(LedgerPath, "0123456789abcdef {\"v\":1,\"seq\":2,\"ki");

        using PrivacyLedger reopened = PrivacyLedger.Open(LedgerPath, Options());
        LedgerEntry charge = reopened.Entries[^1];
        Assert.True(charge.IsTornCharge);
        Assert.Equal(0.8, charge.Release.NoiseMultiplier);
        Assert.Equal(0.05, charge.Release.SamplingRate);
        Assert.Equal(300, charge.Release.Steps);
    }

    [Fact]
    public void Crash_while_repairing_a_torn_tail_still_opens_and_never_under_counts()
    {
        Append(3);
        long intact = new FileInfo(LedgerPath).Length;
        File.AppendAllText(LedgerPath, "0123456789abcdef {\"v\":1,\"seq\":4");
        // The repair itself is interrupted: its terminator made it, half of its marker did not.
        File.AppendAllText(LedgerPath, "\nfedcba9876543210 {\"v\":1,\"seq\":4,\"kind\":\"to");

        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            Assert.Equal(3, ledger.GetStatus().Releases);
            Assert.True(ledger.GetStatus().SpentEpsilon >= ExpectedEpsilon(4));
            Assert.Contains($"byte offset {intact}", ledger.TornTailMessage, StringComparison.Ordinal);
        }

        using PrivacyLedger again = PrivacyLedger.Open(LedgerPath, Options());
        Assert.Null(again.TornTailMessage);
        Assert.True(again.GetStatus().SpentEpsilon >= ExpectedEpsilon(4));
    }

    [Fact]
    public void Many_damaged_lines_at_the_end_are_corruption_not_a_torn_write()
    {
        Append(2);
        long intact = new FileInfo(LedgerPath).Length;
        File.AppendAllText(LedgerPath, "bad\nbad\nbad\nbad\n");

        var ex = Assert.Throws<LedgerCorruptException>(() => PrivacyLedger.Open(LedgerPath, Options()));
        Assert.Equal(intact, ex.ByteOffset);
    }

    [Fact]
    public void Checksum_failure_on_the_last_line_is_treated_as_torn()
    {
        Append(2);
        AppendCrashingBeforeTheAnchor();
        byte[] bytes = File.ReadAllBytes(LedgerPath);
        bytes[^5] ^= 0x01;
        File.WriteAllBytes(LedgerPath, bytes);

        using PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options());
        Assert.Equal(2, ledger.GetStatus().Releases);
        Assert.Equal(1, ledger.GetStatus().TornRecordsCharged);
        Assert.Contains("checksum", ledger.TornTailMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_only_open_counts_a_torn_tail_without_repairing_the_file()
    {
        Append(2);
        File.AppendAllText(LedgerPath, "partial");
        byte[] before = File.ReadAllBytes(LedgerPath);

        using (PrivacyLedger ledger = PrivacyLedger.OpenReadOnly(LedgerPath, Options()))
        {
            Assert.Equal(ExpectedEpsilon(3), ledger.GetStatus().SpentEpsilon, 9);
            Assert.Throws<InvalidOperationException>(() => ledger.ReserveRelease(Release));
        }

        Assert.Equal(before, File.ReadAllBytes(LedgerPath));
    }

    [Fact]
    public void Corruption_in_the_middle_refuses_to_open_and_names_the_byte_offset()
    {
        Append(4);
        string[] lines = File.ReadAllLines(LedgerPath);
        long secondLineOffset = Encoding.UTF8.GetByteCount(lines[0]) + 1;
        byte[] bytes = File.ReadAllBytes(LedgerPath);
        bytes[secondLineOffset + 30] ^= 0x20;
        File.WriteAllBytes(LedgerPath, bytes);

        var ex = Assert.Throws<LedgerCorruptException>(() => PrivacyLedger.Open(LedgerPath, Options()));
        Assert.Equal(secondLineOffset, ex.ByteOffset);
        Assert.Contains($"byte offset {secondLineOffset}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deleted_record_in_the_middle_is_detected_by_its_sequence_number()
    {
        Append(4);
        List<string> lines = [.. File.ReadAllLines(LedgerPath)];
        lines.RemoveAt(1);
        File.WriteAllLines(LedgerPath, lines);

        var ex = Assert.Throws<LedgerCorruptException>(() => PrivacyLedger.Open(LedgerPath, Options()));
        Assert.Contains("sequence", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Budget_warns_at_eighty_percent_refuses_past_the_budget_and_stays_exhausted_after_reopen()
    {
        double budget = ExpectedEpsilon(10) * 1.0001;
        var warnings = new List<PrivacyBudgetStatus>();
        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options(budget)))
        {
            ledger.BudgetWarning += warnings.Add;
            int granted = 0;
            for (int i = 0; i < 10; i++)
            {
                ReleaseDecision decision = ledger.ReserveRelease(Release);
                Assert.True(decision.Granted);
                granted++;
                if (ExpectedEpsilon(granted) < 0.8 * budget)
                {
                    Assert.Empty(warnings);
                    Assert.Equal(PrivacyBudgetState.Ok, decision.Status.State);
                }
            }

            Assert.Single(warnings);
            Assert.True(warnings[0].FractionSpent >= 0.8);

            ReleaseDecision refused = ledger.ReserveRelease(Release);
            Assert.False(refused.Granted);
            Assert.Contains("budget exhausted", refused.Reason, StringComparison.Ordinal);
            Assert.Equal(PrivacyBudgetState.Exhausted, refused.Status.State);
            Assert.Equal(10, refused.Status.Releases);
        }

        using PrivacyLedger reopened = PrivacyLedger.Open(LedgerPath, Options(budget));
        PrivacyBudgetStatus status = reopened.GetStatus();
        Assert.Equal(PrivacyBudgetState.Exhausted, status.State);
        Assert.Equal(10, status.Releases);
        Assert.False(reopened.ReserveRelease(Release).Granted);
        Assert.Equal(10, File.ReadAllLines(LedgerPath).Length);
    }

    [Fact]
    public void Warning_state_is_reported_between_eighty_percent_and_exhaustion()
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options(ExpectedEpsilon(9) / 0.85));
        for (int i = 0; i < 9; i++)
        {
            Assert.True(ledger.ReserveRelease(Release).Granted);
        }

        PrivacyBudgetStatus status = ledger.GetStatus();
        Assert.Equal(PrivacyBudgetState.Warning, status.State);
        Assert.InRange(status.FractionSpent, 0.849, 0.851);
        Assert.Equal(status.BudgetEpsilon - status.SpentEpsilon, status.RemainingEpsilon, 12);
    }

    [Fact]
    public void A_second_writer_is_refused_while_readers_are_allowed()
    {
        using PrivacyLedger writer = PrivacyLedger.Open(LedgerPath, Options());
        Assert.True(writer.ReserveRelease(Release).Granted);

        var ex = Assert.Throws<IOException>(() => PrivacyLedger.Open(LedgerPath, Options()));
        Assert.Contains("already open for writing", ex.Message, StringComparison.Ordinal);
        using PrivacyLedger reader = PrivacyLedger.OpenReadOnly(LedgerPath, Options());
        Assert.Equal(1, reader.GetStatus().Releases);
    }

    [Fact]
    public void Empty_ledger_reports_nothing_spent()
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options());
        PrivacyBudgetStatus status = ledger.GetStatus();
        Assert.Equal(0, status.SpentEpsilon);
        Assert.Equal(PrivacyBudgetState.Ok, status.State);
        Assert.True(File.Exists(LedgerPath));
    }

    [Fact]
    public void Invalid_content_id_is_refused_before_anything_is_written()
    {
        using PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options());
        Assert.Throws<ArgumentException>(() => ledger.ReserveRelease(Release, "has space"));
        Assert.Equal(0, new FileInfo(LedgerPath).Length);
    }

    [Fact]
    public void Deleting_the_last_whole_record_is_truncation_and_every_release_is_refused()
    {
        Append(5);
        RemoveLastLine();
        byte[] ledgerBefore = File.ReadAllBytes(LedgerPath);
        byte[] anchorBefore = File.ReadAllBytes(AnchorPath);

        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            PrivacyBudgetStatus status = ledger.GetStatus();
            Assert.Equal(PrivacyBudgetState.Truncated, status.State);
            Assert.Contains("holds 4 record(s) but its anchor recorded 5", status.Message, StringComparison.Ordinal);
            Assert.Contains("--acknowledge-truncation", status.Message, StringComparison.Ordinal);
            ReleaseDecision refused = ledger.ReserveRelease(Release);
            Assert.False(refused.Granted);
            Assert.Contains("the last 1 record(s) were removed", refused.Reason, StringComparison.Ordinal);
        }

        // Nothing appended and the anchor, the evidence of what is missing, kept as it was.
        Assert.Equal(ledgerBefore, File.ReadAllBytes(LedgerPath));
        Assert.Equal(anchorBefore, File.ReadAllBytes(AnchorPath));
        using PrivacyLedger reader = PrivacyLedger.OpenReadOnly(LedgerPath, Options());
        Assert.Equal(PrivacyBudgetState.Truncated, reader.GetStatus().State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_emptied_or_deleted_ledger_is_truncation(bool delete)
    {
        Append(3);
        if (delete)
        {
            File.Delete(LedgerPath);
        }
        else
        {
            File.WriteAllBytes(LedgerPath, []);
        }

        AssertTruncatedAndRefusing("holds 0 record(s) but its anchor recorded 3");
    }

    [Fact]
    public void A_crash_between_the_append_and_the_anchor_write_is_not_truncation()
    {
        Append(3);
        AppendCrashingBeforeTheAnchor();
        Assert.Equal(3, LogAnchor.Read(AnchorPath, out _)!.Count);

        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            Assert.Equal(PrivacyBudgetState.Ok, ledger.GetStatus().State);
            Assert.Equal(4, ledger.GetStatus().Releases);
            Assert.True(ledger.ReserveRelease(Release).Granted);
        }

        // Opening caught the anchor up, and the release after it moved it on.
        Assert.Equal(5, LogAnchor.Read(AnchorPath, out _)!.Count);
    }

    [Fact]
    public void A_ledger_replaced_by_another_valid_one_of_the_same_length_is_detected()
    {
        Append(3);
        string other = Path.Combine(_dir, "other.jsonl");
        Append(3, other, "forged");

        File.Copy(other, LedgerPath, overwrite: true);
        AssertTruncatedAndRefusing("records were replaced");
    }

    [Fact]
    public void An_unreadable_anchor_refuses_releases_rather_than_trusting_the_ledger()
    {
        Append(2);
        File.WriteAllText(AnchorPath, "garbage");

        AssertTruncatedAndRefusing("cannot be checked for truncation");
    }

    [Fact]
    public void A_ledger_without_an_anchor_from_an_older_version_is_anchored_on_open()
    {
        Append(2);
        File.Delete(AnchorPath);

        using (PrivacyLedger ledger = PrivacyLedger.Open(LedgerPath, Options()))
        {
            Assert.Equal(PrivacyBudgetState.Ok, ledger.GetStatus().State);
        }

        Assert.Equal(2, LogAnchor.Read(AnchorPath, out _)!.Count);
        RemoveLastLine();
        AssertTruncatedAndRefusing("the last 1 record(s) were removed");
    }

    [Fact]
    public void Acknowledging_a_truncation_charges_the_missing_records_and_allows_releases_again()
    {
        string state = Path.Combine(_dir, "state");
        string path = new StatePaths(state).PrivacyLedger;
        Append(5, path);

        string[] lines = File.ReadAllLines(path);
        File.WriteAllLines(path, lines[..^2]);
        var output = new StringWriter();
        var error = new StringWriter();

        using (PrivacyLedger running = PrivacyLedger.Open(path, Options()))
        {
            // While the node holds the ledger, the acknowledgement is refused.
            Assert.Equal(2, PrivacyCommand.AcknowledgeTruncation(new StatePaths(state), Options(), output, error));
            Assert.Contains("stop the node", error.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, PrivacyCommand.AcknowledgeTruncation(new StatePaths(state), Options(), output, error));
        Assert.Contains("2 missing record(s) charged", output.ToString(), StringComparison.Ordinal);

        using PrivacyLedger reopened = PrivacyLedger.Open(path, Options());
        PrivacyBudgetStatus status = reopened.GetStatus();
        Assert.Equal(PrivacyBudgetState.Ok, status.State);
        Assert.Equal(3, status.Releases);
        Assert.Equal(2, status.LostRecordsCharged);
        Assert.True(reopened.Entries[^1].IsLostCharge);
        // Never under-counts: the two lost releases are charged at (at least) their real parameters.
        Assert.Equal(ExpectedEpsilon(5), status.SpentEpsilon, 9);
        Assert.True(reopened.ReserveRelease(Release).Granted);
    }
}
