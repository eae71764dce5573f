using System.Text;
using FedMesh.Node.Configuration;
using FedMesh.Node.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Storage;

public sealed class CheckpointStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static CheckpointStore Store(string dir, int keep = 3, ManualTime? time = null) =>
        new(dir, CheckpointSection.Default with { Keep = keep, MaxSizeMiB = 1 }, time ?? new ManualTime(Start), NullLogger<CheckpointStore>.Instance);

    private static byte[] Payload(int round) => Encoding.ASCII.GetBytes($"adapter weights of round {round} " + new string('w', 100 + round));

    [Fact]
    public void Save_then_load_returns_payload_round_time_and_metadata()
    {
        using var temp = new TempDir();
        var time = new ManualTime(Start);
        CheckpointStore store = Store(temp.Path, time: time);

        store.Save(7, Payload(7), new Dictionary<string, string> { ["loss"] = "2.5", ["schema"] = "956b20" });
        CheckpointLoadResult result = store.LoadLatest();

        Checkpoint loaded = Assert.IsType<Checkpoint>(result.Loaded);
        Assert.Equal(7, loaded.Round);
        Assert.Equal(Start, loaded.Created);
        Assert.Equal(Payload(7), loaded.Payload);
        Assert.Equal("2.5", loaded.Metadata["loss"]);
        Assert.Equal("956b20", loaded.Metadata["schema"]);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void Only_the_newest_N_are_kept()
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path, keep: 3);
        for (int round = 1; round <= 6; round++)
        {
            store.Save(round, Payload(round));
        }

        Assert.Equal([6, 5, 4], store.Rounds());
        Assert.Equal(3, Directory.GetFiles(temp.Path).Length);
    }

    [Fact]
    public void A_corrupt_latest_falls_back_to_the_previous_and_says_why()
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path);
        store.Save(1, Payload(1));
        string latest = store.Save(2, Payload(2));
        byte[] bytes = File.ReadAllBytes(latest);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(latest, bytes);

        CheckpointLoadResult result = store.LoadLatest();

        Assert.Equal(1, result.Loaded!.Round);
        Assert.Equal(Payload(1), result.Loaded.Payload);
        SkippedCheckpoint skipped = Assert.Single(result.Skipped);
        Assert.Equal(latest, skipped.Path);
        Assert.StartsWith("SHA-256 mismatch", skipped.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(100)]
    public void A_truncated_latest_falls_back_to_the_previous(int keptBytes)
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path);
        store.Save(1, Payload(1));
        string latest = store.Save(2, Payload(2));
        using (var stream = new FileStream(latest, FileMode.Open))
        {
            stream.SetLength(keptBytes);
        }

        CheckpointLoadResult result = store.LoadLatest();

        Assert.Equal(1, result.Loaded!.Round);
        Assert.Contains("truncated", Assert.Single(result.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_torn_write_leaves_the_previous_checkpoint_loadable_and_its_temp_file_is_cleaned_up()
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path);
        store.Save(1, Payload(1));
        // A crash during AtomicFile.Write leaves a partial temp file next to the target and never renames it.
        string torn = Path.Combine(temp.Path, ".round-000000000002.ckpt.1234.abcdef.tmp");
        File.WriteAllBytes(torn, Payload(2)[..20]);

        CheckpointStore reopened = Store(temp.Path);
        CheckpointLoadResult result = reopened.LoadLatest();

        Assert.Equal(1, result.Loaded!.Round);
        Assert.Empty(result.Skipped);
        Assert.False(File.Exists(torn));
    }

    [Fact]
    public void When_every_checkpoint_is_bad_nothing_is_loaded_and_all_are_reported()
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path);
        foreach (long round in new[] { 1L, 2L })
        {
            File.WriteAllBytes(store.Save(round, Payload(1)), Encoding.ASCII.GetBytes("garbage that is long enough to hold a frame...................."));
        }

        CheckpointLoadResult result = store.LoadLatest();

        Assert.Null(result.Loaded);
        Assert.Equal(2, result.Skipped.Count);
        Assert.All(result.Skipped, s => Assert.Contains("bad magic", s.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_renamed_to_another_round_is_not_trusted()
    {
        using var temp = new TempDir();
        CheckpointStore store = Store(temp.Path);
        string one = store.Save(1, Payload(1));
        File.Copy(one, Path.Combine(temp.Path, "round-000000000009.ckpt"));

        CheckpointLoadResult result = store.LoadLatest();

        Assert.Equal(1, result.Loaded!.Round);
        Assert.Contains("named for round 9", Assert.Single(result.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_store_loads_nothing()
    {
        using var temp = new TempDir();
        CheckpointLoadResult result = Store(temp.Path).LoadLatest();
        Assert.Null(result.Loaded);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void A_payload_above_the_configured_limit_is_refused()
    {
        using var temp = new TempDir();
        Assert.Throws<ArgumentException>(() => Store(temp.Path).Save(1, new byte[(1 << 20) + 1]));
    }
}
