using System.Text;
using System.Text.Json;
using FedMesh.Node.Audit;
using FedMesh.Node.Storage;
using FedMesh.Node.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Audit;

public sealed class AuditLogTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    internal static AuditRecord Record(int i, AuditEventKind kind = AuditEventKind.Received) =>
        new(kind, "xzdkszhwsbl2kpxj6se3sqsble", $"{i:x64}", i, 0.5 + i, 1.0, 1.1, i % 2 == 0 ? "accepted" : "rejected", i % 2 == 0 ? null : "norm above bound");

    internal static AuditLog Open(string path, ManualTime? time = null) =>
        AuditLog.Open(path, time ?? new ManualTime(Start), NullLogger<AuditLog>.Instance);

    internal static string WriteLog(TempDir temp, int entries)
    {
        string path = temp.Combine("audit.log");
        var time = new ManualTime(Start);
        using AuditLog log = Open(path, time);
        for (int i = 1; i <= entries; i++)
        {
            log.Append(Record(i));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        return path;
    }

    [Fact]
    public void Appended_lines_carry_every_field_and_link_to_the_previous_hash()
    {
        using var temp = new TempDir();
        string path = temp.Combine("audit.log");
        string first, second;
        using (AuditLog log = Open(path))
        {
            first = log.Append(Record(1));
            second = log.Append(Record(2, AuditEventKind.Merged));
        }

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using JsonDocument one = JsonDocument.Parse(lines[0]);
        using JsonDocument two = JsonDocument.Parse(lines[1]);
        JsonElement a = one.RootElement;
        Assert.Equal("2026-03-04T05:06:07.0000000Z", a.GetProperty("time").GetString());
        Assert.Equal("received", a.GetProperty("kind").GetString());
        Assert.Equal("xzdkszhwsbl2kpxj6se3sqsble", a.GetProperty("origin").GetString());
        Assert.Equal(1, a.GetProperty("seq").GetInt64());
        Assert.Equal(1.5, a.GetProperty("l2_norm").GetDouble());
        Assert.Equal(1.0, a.GetProperty("clip").GetDouble());
        Assert.Equal(1.1, a.GetProperty("sigma").GetDouble());
        Assert.Equal("rejected", a.GetProperty("decision").GetString());
        Assert.Equal("norm above bound", a.GetProperty("reason").GetString());
        Assert.Equal(new string('0', 64), a.GetProperty("prev").GetString());
        Assert.Equal(first, a.GetProperty("hash").GetString());
        Assert.Equal("merged", two.RootElement.GetProperty("kind").GetString());
        Assert.Equal(first, two.RootElement.GetProperty("prev").GetString());
        Assert.Equal(second, two.RootElement.GetProperty("hash").GetString());
    }

    [Fact]
    public void Reopening_continues_the_chain_and_the_whole_log_verifies()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 3);
        string head;
        using (AuditLog log = Open(path))
        {
            Assert.Equal(3, log.Entries);
            head = log.Append(Record(4));
        }

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);
        Assert.True(result.Intact);
        Assert.Equal(4, result.Entries);
        Assert.Equal(head, result.LastHash);
    }

    [Fact]
    public void A_non_finite_norm_is_logged_as_null_instead_of_failing()
    {
        using var temp = new TempDir();
        string path = temp.Combine("audit.log");
        using (AuditLog log = Open(path))
        {
            log.Append(Record(1) with { L2Norm = double.NaN, Decision = "rejected", Reason = "NaN in delta" });
        }

        Assert.Contains("\"l2_norm\":null", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.True(AuditVerifier.VerifyFile(path).Intact);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(6)]
    public void A_tampered_line_is_reported_at_its_line_number(int tampered)
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 6);
        string[] lines = File.ReadAllLines(path);
        lines[tampered - 1] = lines[tampered - 1].Replace("\"decision\":\"accepted\"", "\"decision\":\"rejected\"", StringComparison.Ordinal)
            .Replace("\"seq\":", "\"seq\":1", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.Equal(tampered, result.Break!.Line);
        Assert.StartsWith("hash mismatch", result.Break.Problem, StringComparison.Ordinal);
        Assert.Equal(tampered - 1, result.Entries);
    }

    [Fact]
    public void A_deleted_line_breaks_the_link_of_the_line_after_it()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 5);
        List<string> lines = File.ReadAllLines(path).ToList();
        lines.RemoveAt(2);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.Equal(3, result.Break!.Line);
        Assert.StartsWith("prev mismatch", result.Break.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_last_line_is_reported_by_verify()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 3);
        File.AppendAllText(path, "{\"time\":\"2026-03-04T05:06:10.0000000Z\",\"kind\":\"rec");

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.Equal(4, result.Break!.Line);
        Assert.True(result.Break.IsTornTail);
        Assert.StartsWith("torn last line", result.Break.Problem, StringComparison.Ordinal);
        Assert.Equal(3, result.Entries);
    }

    [Fact]
    public void Opening_a_log_with_a_torn_tail_saves_it_aside_cuts_it_and_continues_the_chain()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 2);
        long intact = new FileInfo(path).Length;
        File.AppendAllText(path, "{\"partial");

        using (AuditLog log = Open(path))
        {
            Assert.Equal(2, log.Entries);
            log.Append(Record(3));
        }

        Assert.True(AuditVerifier.VerifyFile(path).Intact);
        Assert.Equal("{\"partial", File.ReadAllText($"{path}.torn-at-{intact}"));
    }

    [Fact]
    public void Opening_a_log_broken_in_the_middle_is_refused()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 3);
        byte[] bytes = File.ReadAllBytes(path);
        int at = Encoding.ASCII.GetString(bytes).IndexOf("\"seq\":2", StringComparison.Ordinal);
        bytes[at + 6] = (byte)'9';
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<AuditLogException>(() => Open(path));
        Assert.Contains("broken at line 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all\n", "not valid JSON")]
    [InlineData("[1,2]\n", "not a JSON object")]
    [InlineData("{\"a\":1}\n", "missing a valid \"hash\"")]
    public void Garbage_lines_are_reported_as_line_1(string content, string problem)
    {
        using var temp = new TempDir();
        string path = temp.Combine("audit.log");
        File.WriteAllText(path, content);

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.Equal(1, result.Break!.Line);
        Assert.StartsWith(problem, result.Break.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_with_invalid_utf8_inside_a_string_is_reported_not_thrown()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 2);
        byte[] bytes = File.ReadAllBytes(path);
        int at = Encoding.ASCII.GetString(bytes).IndexOf("xzdk", StringComparison.Ordinal);
        bytes[at] = 0xE1;
        File.WriteAllBytes(path, bytes);

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.Equal(1, result.Break!.Line);
        Assert.Equal("not valid UTF-8", result.Break.Problem);
    }

    [Fact]
    public void An_overlong_line_is_rejected_without_being_parsed()
    {
        using var temp = new TempDir();
        string path = temp.Combine("audit.log");
        File.WriteAllText(path, new string('x', 100_000) + "\n");

        Assert.StartsWith("line longer than", AuditVerifier.VerifyFile(path).Break!.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_log_is_intact()
    {
        using var temp = new TempDir();
        string path = temp.Combine("audit.log");
        File.WriteAllBytes(path, []);

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.True(result.Intact);
        Assert.Equal(0, result.Entries);
    }

    [Fact]
    public void Deleting_the_whole_last_line_is_reported_as_truncation()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 5);
        string[] lines = File.ReadAllLines(path);
        File.WriteAllLines(path, lines[..^1]);

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.False(result.Intact);
        Assert.True(result.Break!.IsTruncation);
        Assert.Equal(5, result.Break.Line);
        Assert.Contains("holds 4 record(s) but its anchor recorded 5", result.Break.Problem, StringComparison.Ordinal);
        var ex = Assert.Throws<AuditLogException>(() => Open(path));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains(LogAnchor.PathFor(path), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_emptied_log_is_reported_as_truncation()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 2);
        File.WriteAllBytes(path, []);

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);

        Assert.True(result.Break!.IsTruncation);
        Assert.Equal(1, result.Break.Line);
    }

    [Fact]
    public void A_crash_between_the_append_and_the_anchor_write_is_not_truncation()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 3);
        string anchorPath = LogAnchor.PathFor(path);
        byte[] anchor = File.ReadAllBytes(anchorPath);
        using (AuditLog log = Open(path))
        {
            log.Append(Record(4));
        }

        // The process died after the line's fsync, before the anchor was rewritten.
        File.WriteAllBytes(anchorPath, anchor);

        Assert.True(AuditVerifier.VerifyFile(path).Intact);
        using (AuditLog log = Open(path))
        {
            Assert.Equal(4, log.Entries);
        }

        Assert.Equal(4, LogAnchor.Read(anchorPath, out _)!.Count);
    }

    [Fact]
    public void A_chain_rewritten_from_the_anchored_entry_on_is_detected()
    {
        using var temp = new TempDir();
        string path = WriteLog(temp, 3);
        string[] original = File.ReadAllLines(path);
        // A consistent chain of the same length whose last entry differs: rebuilt from line 2 with other content.
        File.WriteAllLines(path, original[..2]);
        File.Delete(LogAnchor.PathFor(path));
        using (AuditLog log = Open(path))
        {
            log.Append(Record(99));
        }

        File.WriteAllBytes(LogAnchor.PathFor(path), new LogAnchor(3, HashOf(original[2])).EncodeSlot());

        AuditVerifyResult result = AuditVerifier.VerifyFile(path);
        Assert.True(result.Break!.IsTruncation);
        Assert.Contains("records were replaced", result.Break.Problem, StringComparison.Ordinal);
    }

    private static string HashOf(string line) => JsonDocument.Parse(line).RootElement.GetProperty("hash").GetString()!;
}
