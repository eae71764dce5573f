using System.Runtime.Versioning;
using FedMesh.Node.Audit;
using FedMesh.Node.Membership;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using FedMesh.Node.Storage;
using FedMesh.Node.Tests.Audit;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.Node.Tests.Storage;

/// <summary>Modes of the files the daemon writes in its state directory, and the sequence file's format.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class StateFileTests
{
    [Fact]
    public void Every_state_file_the_node_writes_is_created_owner_only()
    {
        using var temp = new TempDir();
        using StateDirectory state = StateDirectory.Open(temp.Combine("state"));
        StatePaths paths = state.Paths;
        using NodeIdentity identity = KeyFile.Create(paths.IdentityKey);

        using (PrivacyLedger ledger = PrivacyLedger.Open(paths.PrivacyLedger, PrivacyOptions.Default))
        {
            Assert.True(ledger.ReserveRelease(PrivacyOptions.Default.DefaultRelease).Granted);
        }

        using (AuditLog audit = AuditLogTests.Open(paths.AuditLog))
        {
            audit.Append(AuditLogTests.Record(1));
        }

        var book = new PeerBook(identity.PeerId, TimeProvider.System);
        book.Save(paths.Peers);
        new ReputationTracker(ReputationOptions.Default).Save(paths.Trust);
        SequenceFile.Write(paths.Sequence, 1_780_000_000_000);
        new CheckpointStore(paths.Checkpoints, FedMesh.Node.Configuration.CheckpointSection.Default, TimeProvider.System, NullLogger<CheckpointStore>.Instance).Save(1, [1, 2, 3]);

        string[] files = Directory.GetFiles(paths.Root, "*", SearchOption.AllDirectories);
        Assert.Contains(paths.PrivacyLedgerAnchor, files);
        Assert.Contains(paths.AuditLogAnchor, files);
        Assert.Contains(paths.Peers, files);
        Assert.Contains(paths.Sequence, files);
        Assert.All(files, f => Assert.True(File.GetUnixFileMode(f) == StateDirectory.FileMode, $"{f} has mode {Convert.ToString((int)File.GetUnixFileMode(f), 8)}"));
    }

    [Fact]
    public void Opening_the_state_directory_takes_group_and_other_permissions_off_existing_files()
    {
        using var temp = new TempDir();
        string root = temp.Combine("state");
        using (StateDirectory.Open(root))
        {
        }

        string peers = new StatePaths(root).Peers;
        File.WriteAllText(peers, "{}");
        File.SetUnixFileMode(peers, (UnixFileMode)0b110_100_100);

        using StateDirectory state = StateDirectory.Open(root);

        Assert.Equal(StateDirectory.FileMode, File.GetUnixFileMode(peers));
    }

    [Theory]
    [InlineData("1780000000000", 1_780_000_000_000UL, null)]
    [InlineData("1780000000000\n", 1_780_000_000_000UL, null)]
    [InlineData("0", 0UL, null)]
    [InlineData("", null, "empty")]
    [InlineData(" 17", null, "byte 0x20 is not a decimal digit")]
    [InlineData("17\n\n", null, "byte 0x0a is not a decimal digit")]
    [InlineData("-1", null, "byte 0x2d is not a decimal digit")]
    [InlineData("9223372036854775808", null, "above the largest sequence accepted")]
    public void The_sequence_file_is_digits_and_an_optional_newline(string content, ulong? expected, string? problem)
    {
        Assert.Equal(expected, SequenceFile.Parse(System.Text.Encoding.ASCII.GetBytes(content), out string? why));
        if (problem is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(problem, why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_sequence_file_of_random_bytes_is_reported_and_resumed_above_every_sequence_used()
    {
        using var temp = new TempDir();
        string path = temp.Combine("sequence");
        byte[] noise = new byte[16];
        new Random(11).NextBytes(noise);
        noise[0] = 0xff;
        File.WriteAllBytes(path, noise);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);

        ulong? read = SequenceFile.Read(path, out string? problem);

        Assert.Null(read);
        Assert.Contains("not a decimal digit", problem, StringComparison.Ordinal);
        // The audit log saw a sequence ahead of this host's clock (the clock went back): resume above it.
        Assert.Equal(1_790_000_000_000UL, SequenceFile.Resume(read, () => 1_790_000_000_000, now));
        Assert.Equal(1_780_000_000_000UL, SequenceFile.Resume(read, () => 5, now));
        // A good file is used as it is, without reading the audit log.
        Assert.Equal(42UL, SequenceFile.Resume(42, () => throw new InvalidOperationException("not needed"), now));
        Assert.Null(SequenceFile.Read(temp.Combine("absent"), out problem));
        Assert.Null(problem);
    }

    [Fact]
    public void The_audit_log_gives_the_highest_sequence_this_node_sent()
    {
        using var temp = new TempDir();
        using AuditLog audit = AuditLogTests.Open(temp.Combine("audit.log"));
        const string self = "selfselfselfselfselfselfse";
        audit.Append(new AuditRecord(AuditEventKind.Sent, self, new string('a', 64), 17, 1, 1, 1, "sent"));
        audit.Append(new AuditRecord(AuditEventKind.Received, "other", new string('b', 64), 99, 1, 1, 1, "accepted"));
        audit.Append(new AuditRecord(AuditEventKind.Sent, self, new string('c', 64), 23, 1, 1, 1, "sent"));
        audit.Append(new AuditRecord(AuditEventKind.Sent, "other", new string('d', 64), 50, 1, 1, 1, "sent"));

        Assert.Equal(23UL, audit.HighestSequenceSent(self));
        Assert.Equal(0UL, audit.HighestSequenceSent("nobody"));
    }
}
