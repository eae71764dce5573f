using System.Text;
using FedMesh.Node.Data;
using FedMesh.Node.Data.Redaction;

namespace FedMesh.Node.Tests.Data;

public sealed class LocalDataLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static LocalDataLoader Loader(DataLoadOptions? options = null, RedactionOptions? redaction = null) =>
        new(options ?? DataLoadOptions.Default, new Redactor(redaction ?? RedactionOptions.Default));

    [Fact]
    public void Reads_txt_jsonl_jsonl_gz_and_txt_gz_documents_in_path_order()
    {
        _folder.Write("a.txt", "\uFEFFFirst document.\nSecond line.");
        _folder.Write("b.jsonl", "{\"text\":\"line one\"}\n\n{\"text\":\"line \\u0074wo\",\"meta\":{\"k\":[1,2]}}\r\n");
        _folder.WriteGzip("c.jsonl.gz", "{\"text\":\"zipped\"}\n");
        _folder.WriteGzip("sub/d.txt.gz", "zipped text file");

        var data = Loader().Load(_folder.Path);

        Assert.Equal(
            ["a.txt", "b.jsonl:1", "b.jsonl:3", "c.jsonl.gz:1", "sub/d.txt.gz"],
            data.Documents.Select(d => d.Source));
        Assert.Equal(["First document.\nSecond line.", "line one", "line two", "zipped", "zipped text file"], data.Texts);
        Assert.Equal(4, data.Report.FilesRead);
        Assert.Empty(data.Report.FilesSkipped);
        Assert.Empty(data.Report.DocumentsSkipped);
        Assert.Equal(data.Texts.Sum(t => t.Length), data.Report.CharactersLoaded);
    }

    [Fact]
    public void Prompt_and_completion_are_joined_by_a_newline_and_text_wins_over_them()
    {
        _folder.Write("qa.jsonl",
            "{\"prompt\":\"What year?\",\"completion\":\"1790.\"}\n"
            + "{\"prompt\":\"Only a prompt\"}\n"
            + "{\"text\":\"plain\",\"prompt\":\"ignored\",\"completion\":\"ignored\"}\n");

        var data = Loader().Load(_folder.Path);

        Assert.Equal(["What year?\n1790.", "Only a prompt", "plain"], data.Texts);
    }

    [Fact]
    public void Bad_files_are_skipped_whole_with_a_counted_reason()
    {
        _folder.WriteBytes("binary.txt", [0x48, 0x69, 0x00, 0x01, 0x02]);
        _folder.WriteBytes("latin1.txt", [0x63, 0x61, 0x66, 0xE9]); // "café" in ISO-8859-1
        _folder.WriteBytes("empty.txt", []);
        _folder.Write("blank.txt", " \n\t \n");
        _folder.Write("report.pdf", "%PDF-1.7");
        _folder.WriteBytes("nul.jsonl", [.. "{\"text\":\"kept until the NUL\"}\n"u8, .. "{\"text\":\"x\0\"}\n"u8]);
        _folder.WriteBytes("not-gzip.jsonl.gz", "plain text, not gzip"u8.ToArray());
        _folder.Write("ok.txt", "the only good one");

        var data = Loader().Load(_folder.Path);

        Assert.Equal(["the only good one"], data.Texts);
        Assert.Equal(1, data.Report.FilesRead);
        Assert.Equal(2, data.Report.FilesSkippedFor(DataSkipReason.Binary));
        Assert.Equal(1, data.Report.FilesSkippedFor(DataSkipReason.InvalidUtf8));
        Assert.Equal(2, data.Report.FilesSkippedFor(DataSkipReason.Empty));
        Assert.Equal(1, data.Report.FilesSkippedFor(DataSkipReason.UnknownExtension));
        Assert.Equal(1, data.Report.FilesSkippedFor(DataSkipReason.CorruptCompression));
        Assert.Empty(data.Report.DocumentsSkipped);
    }

    [Fact]
    public void Bad_json_lines_are_skipped_one_by_one_with_a_counted_reason()
    {
        string deep = new string('[', 40) + new string(']', 40);
        var lines = new List<byte[]>
        {
            "{\"text\":\"good 1\"}"u8.ToArray(),
            "{\"text\": \"unterminated}"u8.ToArray(),
            "[\"an array, not an object\"]"u8.ToArray(),
            "{\"text\":\"a\"} {\"text\":\"b\"}"u8.ToArray(),
            Encoding.UTF8.GetBytes("{\"text\":\"too deep\",\"x\":" + deep + "}"),
            "{\"text\":\"bad "u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}"u8.ToArray()).ToArray(),
            Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 300) + "\"}"),
            "{\"title\":\"no text field\"}"u8.ToArray(),
            "{\"text\":\"\\ud800 lone surrogate\"}"u8.ToArray(),
            "{\"text\":\"good 2\"}"u8.ToArray(),
        };
        _folder.WriteBytes("mixed.jsonl", lines.SelectMany(l => l.Append((byte)'\n')).ToArray());

        var data = Loader(DataLoadOptions.Default with { MaxLineBytes = 200 }).Load(_folder.Path);

        Assert.Equal(["good 1", "good 2"], data.Texts);
        Assert.Equal(["mixed.jsonl:1", "mixed.jsonl:10"], data.Documents.Select(d => d.Source));
        Assert.Equal(4, data.Report.DocumentsSkippedFor(DataSkipReason.MalformedJson));
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.JsonTooDeep));
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.InvalidUtf8));
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.LineTooLong));
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.Empty));
        Assert.Equal(1, data.Report.FilesRead);
    }

    [Fact]
    public void Lines_spanning_read_chunks_are_reassembled_and_an_overlong_one_is_skipped_alone()
    {
        // The reader works in 64 KiB chunks; documents of 1..20 000 characters put many lines across chunk edges,
        // and one line of 150 000 characters spans three chunks and exceeds the line bound.
        var random = new Random(21);
        var expected = new List<string>();
        var content = new StringBuilder();
        for (int i = 0; i < 40; i++)
        {
            string text = new string((char)('a' + (i % 26)), random.Next(1, 20_000));
            expected.Add(text);
            content.Append("{\"text\":\"").Append(text).Append(i % 2 == 0 ? "\"}\n" : "\"}\r\n");
            if (i == 20)
            {
                content.Append("{\"text\":\"").Append('z', 150_000).Append("\"}\n");
            }
        }

        _folder.Write("chunks.jsonl", content.ToString());
        _folder.WriteGzip("chunks.jsonl.gz", content.ToString());

        var data = Loader(DataLoadOptions.Default with { MaxLineBytes = 100_000 }).Load(_folder.Path);

        Assert.Equal(expected.Concat(expected), data.Texts);
        Assert.Equal(2, data.Report.DocumentsSkippedFor(DataSkipReason.LineTooLong));
        Assert.Equal("chunks.jsonl:23", data.Documents[21].Source);
    }

    [Fact]
    public void Size_bounds_skip_large_files_decompression_bombs_and_large_text_documents()
    {
        _folder.Write("big.jsonl", "{\"text\":\"" + new string('a', 2000) + "\"}\n");
        _folder.WriteGzip("bomb.jsonl.gz", string.Concat(Enumerable.Repeat("{\"text\":\"zzzzzzzzzzzzzzzz\"}\n", 500)));
        _folder.Write("long.txt", new string('b', 1500));
        _folder.Write("small.txt", "fits");

        var options = DataLoadOptions.Default with { MaxFileBytes = 1600, MaxDecompressedBytes = 4000, MaxTextFileBytes = 1000 };
        var data = Loader(options).Load(_folder.Path);

        Assert.Equal(["fits"], data.Texts);
        Assert.Equal(2, data.Report.FilesSkippedFor(DataSkipReason.FileTooLarge));
        Assert.Equal(1, data.Report.FilesSkippedFor(DataSkipReason.DecompressedTooLarge));
    }

    [Fact]
    public void A_whole_file_skip_late_in_a_file_rolls_back_its_documents_and_redaction_counts()
    {
        var content = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            content.Append("{\"text\":\"mail me at user").Append(i).Append("@example.org please\"}\n");
        }

        _folder.WriteGzip("late-bomb.jsonl.gz", content.ToString());

        var data = Loader(DataLoadOptions.Default with { MaxDecompressedBytes = 4000 }).Load(_folder.Path);

        Assert.Empty(data.Documents);
        Assert.Equal(0, data.Report.Redaction.CountFor(RedactionRules.Email));
        Assert.Equal(1, data.Report.FilesSkippedFor(DataSkipReason.DecompressedTooLarge));
    }

    [Fact]
    public void The_document_budget_stops_loading_and_is_counted()
    {
        _folder.Write("a.jsonl", "{\"text\":\"1\"}\n{\"text\":\"2\"}\n{\"text\":\"3\"}\n");
        _folder.Write("b.txt", "4");

        var data = Loader(DataLoadOptions.Default with { MaxDocuments = 2 }).Load(_folder.Path);

        Assert.Equal(["1", "2"], data.Texts);
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.DocumentLimitReached));
    }

    [Fact]
    public void Files_beyond_the_file_limit_are_counted_not_read()
    {
        for (int i = 0; i < 5; i++)
        {
            _folder.Write($"{i}.txt", $"doc {i}");
        }

        var data = Loader(DataLoadOptions.Default with { MaxFiles = 3 }).Load(_folder.Path);

        Assert.Equal(3, data.Documents.Count);
        Assert.Equal(2, data.Report.FilesSkippedFor(DataSkipReason.FileLimitReached));
    }

    [Fact]
    public void Hidden_files_are_ignored()
    {
        _folder.Write(".secret.txt", "not for training");
        _folder.Write("visible.txt", "for training");

        var data = Loader().Load(_folder.Path);

        Assert.Equal(["for training"], data.Texts);
    }

    [Fact]
    public void Random_bytes_under_every_supported_name_never_make_loading_fail()
    {
        var random = new Random(2024);
        string[] extensions = [".txt", ".jsonl", ".jsonl.gz", ".txt.gz"];
        byte[] jsonish = "{}[]\":,\\ \ntextpromptcompletion0123456789"u8.ToArray();
        for (int i = 0; i < 40; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                // Half the files are made of JSON punctuation and field names, to reach the parser's corners.
                for (int b = 0; b < bytes.Length; b++)
                {
                    bytes[b] = jsonish[bytes[b] % jsonish.Length];
                }
            }

            string extension = extensions[i % extensions.Length];
            _folder.WriteBytes($"f{i:00}{extension}", extension.EndsWith(".gz", StringComparison.Ordinal) && i % 3 != 0 ? TempFolder.Gzip(bytes) : bytes);
        }

        var data = Loader(DataLoadOptions.Default with { MaxJsonDepth = 4, MaxLineBytes = 500 }).Load(_folder.Path);

        Assert.Equal(40, data.Report.FilesRead + data.Report.FilesSkipped.Values.Sum());
        Assert.All(data.Texts, t => Assert.False(string.IsNullOrWhiteSpace(t)));
    }

    [Fact]
    public void A_missing_folder_is_an_error_naming_the_folder()
    {
        string missing = Path.Combine(_folder.Path, "nope");

        var error = Assert.Throws<DirectoryNotFoundException>(() => Loader().Load(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loaded_documents_are_redacted_and_dropped_fields_never_become_text()
    {
        _folder.Write("chat.jsonl",
            "{\"prompt\":\"Reach me at jane.doe@example.com\",\"completion\":\"Card 4111 1111 1111 1111 noted\",\"email\":\"x@y.org\"}\n"
            + "{\"text\":\"public text\",\"completion\":\"secret-answer\"}\n");
        var redaction = RedactionOptions.Default with { DropJsonFields = ["email"] };

        var plain = Loader(redaction: redaction).Load(_folder.Path);
        var dropCompletion = Loader(redaction: redaction with { DropJsonFields = ["completion"] }).Load(_folder.Path);

        Assert.Equal(["Reach me at [EMAIL]\nCard [CARD] noted", "public text"], plain.Texts);
        Assert.Equal(1, plain.Report.Redaction.CountFor(RedactionRules.JsonField("email")));
        Assert.Equal(["Reach me at [EMAIL]", "public text"], dropCompletion.Texts);
        Assert.Equal(2, dropCompletion.Report.Redaction.CountFor(RedactionRules.JsonField("completion")));
        Assert.DoesNotContain(dropCompletion.Texts, t => t.Contains("secret-answer", StringComparison.Ordinal));
    }

    [Fact]
    public void A_redaction_time_out_drops_the_document_instead_of_keeping_it()
    {
        _folder.Write("a.txt", new string('a', 64) + "!");
        _folder.Write("b.txt", "harmless");
        var redaction = RedactionOptions.Default with
        {
            // Nested quantifiers backtrack exponentially on a run of 'a' that does not end the string; the
            // backreference keeps the pattern on the backtracking engine, so only the time-out bounds it.
            CustomRules = [new CustomRedactionRule("evil", @"(a+)+\1$", "[X]")],
            RegexTimeout = TimeSpan.FromMilliseconds(20),
        };

        var data = Loader(redaction: redaction).Load(_folder.Path);

        Assert.Equal(["harmless"], data.Texts);
        Assert.Equal(1, data.Report.DocumentsSkippedFor(DataSkipReason.RedactionTimeout));
        Assert.Equal(1, data.Report.Redaction.DocumentsTimedOut);
    }

    [Fact]
    public void Cancellation_is_observed_between_documents_not_after_the_whole_file()
    {
        // 20 documents that each take the whole regex time-out: stopping must not wait for all of them.
        string hostile = new string('a', 64) + "!";
        _folder.Write("evil.jsonl", string.Concat(Enumerable.Repeat($"{{\"text\":\"{hostile}\"}}\n", 20)));
        var redaction = RedactionOptions.Default with
        {
            CustomRules = [new CustomRedactionRule("evil", @"(a+)+\1$", "[X]")],
            RegexTimeout = TimeSpan.FromMilliseconds(50),
        };
        using var stop = new CancellationTokenSource();
        // The stop request arrives while the first document is being redacted (seen here when its time-out is logged).
        var logger = new CallbackLogger(eventId => stop.Cancel());
        var loader = new LocalDataLoader(DataLoadOptions.Default, new Redactor(redaction), logger);

        Assert.Throws<OperationCanceledException>(() => loader.Load(_folder.Path, stop.Token));
        Assert.Equal([3004], logger.EventIds);
    }

    /// <summary>Records the event ids logged and calls back on each.</summary>
    private sealed class CallbackLogger(Action<int> onLog) : Microsoft.Extensions.Logging.ILogger<LocalDataLoader>
    {
        public List<int> EventIds { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            EventIds.Add(eventId.Id);
            onLog(eventId.Id);
        }
    }
}
