using FedMesh.Node.Storage;

namespace FedMesh.Node.Tests.Storage;

public sealed class LogAnchorTests
{
    private static readonly string HeadA = new('a', 64);
    private static readonly string HeadB = new('b', 64);

    [Fact]
    public void The_newest_valid_slot_wins_and_a_torn_slot_falls_back_to_the_other()
    {
        using var temp = new TempDir();
        string path = temp.Combine("log.anchor");
        using (LogAnchorFile file = LogAnchorFile.Open(path))
        {
            file.Write(new LogAnchor(6, HeadA));
            file.Write(new LogAnchor(7, HeadB));
        }

        Assert.Equal(new LogAnchor(7, HeadB), LogAnchor.Read(path, out string? problem));
        Assert.Null(problem);
        Assert.Equal(2 * LogAnchor.SlotBytes, new FileInfo(path).Length);

        // The write of count 7 (slot 1) was interrupted halfway: the anchor is one record behind, never wrong.
        byte[] bytes = File.ReadAllBytes(path);
        bytes.AsSpan(LogAnchor.SlotBytes + 40, 40).Fill((byte)'x');
        File.WriteAllBytes(path, bytes);
        Assert.Equal(new LogAnchor(6, HeadA), LogAnchor.Read(path, out problem));
        Assert.Null(problem);
    }

    [Fact]
    public void No_file_or_an_empty_one_is_no_anchor_and_garbage_is_a_problem()
    {
        using var temp = new TempDir();
        string path = temp.Combine("log.anchor");
        Assert.Null(LogAnchor.Read(path, out string? problem));
        Assert.Null(problem);
        File.WriteAllBytes(path, []);
        Assert.Null(LogAnchor.Read(path, out problem));
        Assert.Null(problem);

        File.WriteAllBytes(path, new byte[LogAnchor.SlotBytes]);
        Assert.Null(LogAnchor.Read(path, out problem));
        Assert.Contains("no valid slot", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slot_edited_to_a_larger_count_fails_its_check_value()
    {
        byte[] slot = new LogAnchor(5, HeadA).EncodeSlot();
        slot[17] = (byte)'9';
        Assert.Null(LogAnchor.Parse(slot, out string? problem));
        Assert.Contains("check value mismatch", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, true, null)]
    [InlineData(6, false, null)]
    [InlineData(4, true, "the last 1 record(s) were removed")]
    [InlineData(0, false, "the last 5 record(s) were removed")]
    [InlineData(5, false, "records were replaced")]
    public void Check_accepts_the_anchored_log_or_a_longer_one_only(long count, bool sameHead, string? problem)
    {
        var anchor = new LogAnchor(5, HeadA);
        string? result = anchor.Check(count, count >= 5 ? (sameHead || count > 5 ? HeadA : HeadB) : null);
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }
}
