using System.Text;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.Time.Testing;

namespace FedMesh.Node.Tests.Membership;

public sealed class PeerBookTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedmesh-peerbook-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private string BookPath => Path.Combine(_dir, "peers.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PeerBook NewBook(PeerBookOptions? options = null) => new(TestIds.Id(0), _time, options);

    private static PeerAddress Addr(string text) => PeerAddress.TryParse(text, out PeerAddress a, out string e) ? a : throw new FormatException(e);

    private static PexEntry Pex(int i, params string[] addresses) => new(TestIds.Id(i), [.. addresses.Select(Addr)]);

    [Fact]
    public void Saved_book_loads_back_with_every_field()
    {
        var book = NewBook();
        Assert.True(book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns, "lab", TestIds.Key(1)));
        Assert.True(book.Observe(TestIds.Id(2), [Addr("[2001:db8::2]:7340"), Addr("seed.example.org:7340")], PeerSources.Seed));
        book.RecordFailure(TestIds.Id(2));
        book.Save(BookPath);

        var loaded = NewBook();
        Assert.Equal(2, loaded.Load(BookPath));
        Assert.True(loaded.TryGet(TestIds.Id(1), out PeerRecord one));
        Assert.Equal(TestIds.Key(1), one.PublicKey);
        Assert.Equal("lab", one.MeshId);
        Assert.Equal(PeerSources.Mdns, one.Sources);
        Assert.Equal(_time.GetUtcNow(), one.LastSeen);
        Assert.True(loaded.TryGet(TestIds.Id(2), out PeerRecord two));
        Assert.Equal(["[2001:db8::2]:7340", "seed.example.org:7340"], two.Addresses.Select(a => a.ToString()));
        Assert.Equal(1, two.Failures);
        Assert.Null(two.LastSeen);
    }

    [Fact]
    public void Missing_file_is_an_empty_book()
    {
        Assert.Equal(0, NewBook().Load(BookPath));
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("{\"version\": 99, \"peers\": []}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("")]
    public void Corrupt_file_starts_empty_and_is_kept_aside(string content)
    {
        File.WriteAllText(BookPath, content);
        var book = NewBook();
        Assert.Equal(0, book.Load(BookPath));
        Assert.Equal(0, book.Count);
        Assert.False(File.Exists(BookPath));
        Assert.Equal(content, File.ReadAllText(BookPath + ".corrupt"));
    }

    [Fact]
    public void Oversized_file_is_treated_as_corrupt_before_parsing()
    {
        File.WriteAllText(BookPath, "{\"version\":1,\"peers\":[]}" + new string(' ', 2000));
        var book = NewBook(new PeerBookOptions { MaxFileBytes = 1000 });
        Assert.Equal(0, book.Load(BookPath));
        Assert.True(File.Exists(BookPath + ".corrupt"));
    }

    [Fact]
    public void Invalid_entries_are_skipped_and_valid_ones_kept()
    {
        string json = $$"""
            {"version":1,"peers":[
              {"id":"not-a-peer-id","addresses":["192.0.2.1:1"],"sources":"Seed"},
              {"id":"{{TestIds.Id(1)}}","addresses":["192.0.2.1:99999"],"sources":"Seed"},
              {"id":"{{TestIds.Id(2)}}","publicKey":"{{Convert.ToBase64String(TestIds.Key(3))}}","addresses":[],"sources":"Pex"},
              {"id":"{{TestIds.Id(4)}}","addresses":["192.0.2.4:7340"],"sources":"Pex","failures":2}
            ]}
            """;
        File.WriteAllText(BookPath, json);
        var book = NewBook();
        Assert.Equal(1, book.Load(BookPath));
        Assert.True(book.TryGet(TestIds.Id(4), out PeerRecord r));
        Assert.Equal(2, r.Failures);
        Assert.True(File.Exists(BookPath));
    }

    [Fact]
    public void Full_book_evicts_the_least_recently_seen_entry()
    {
        var book = NewBook(new PeerBookOptions { Capacity = 3 });
        for (int i = 1; i <= 3; i++)
        {
            book.Observe(TestIds.Id(i), [Addr($"192.0.2.{i}:7340")], PeerSources.Mdns);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.True(book.Observe(TestIds.Id(4), [Addr("192.0.2.4:7340")], PeerSources.Mdns));
        Assert.Equal(3, book.Count);
        Assert.False(book.TryGet(TestIds.Id(1), out _));
    }

    [Fact]
    public void Failures_make_an_entry_the_first_to_go_and_seeds_are_never_evicted()
    {
        var book = NewBook(new PeerBookOptions { Capacity = 3 });
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Seed);
        book.Observe(TestIds.Id(2), [Addr("192.0.2.2:7340")], PeerSources.Mdns);
        _time.Advance(TimeSpan.FromMinutes(10));
        book.Observe(TestIds.Id(3), [Addr("192.0.2.3:7340")], PeerSources.Mdns);
        book.RecordFailure(TestIds.Id(3)); // one failure = one hour older than its 10-minute lead
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.True(book.Observe(TestIds.Id(4), [Addr("192.0.2.4:7340")], PeerSources.Mdns));
        Assert.False(book.TryGet(TestIds.Id(3), out _));
        Assert.True(book.TryGet(TestIds.Id(1), out _));

        // Seeds, however old and failing, stay.
        for (int i = 0; i < 5; i++)
        {
            book.RecordFailure(TestIds.Id(1));
        }

        _time.Advance(TimeSpan.FromDays(30));
        Assert.True(book.Observe(TestIds.Id(5), [Addr("192.0.2.5:7340")], PeerSources.Mdns));
        Assert.True(book.TryGet(TestIds.Id(1), out _));
    }

    [Fact]
    public void Observing_ourselves_is_ignored()
    {
        var book = NewBook();
        Assert.False(book.Observe(TestIds.Id(0), [Addr("192.0.2.1:7340")], PeerSources.Mdns));
        Assert.Equal(0, book.Count);
    }

    [Fact]
    public void Pex_rejects_loopback_and_other_unusable_addresses_unless_loopback_is_allowed()
    {
        var book = NewBook();
        PexMergeResult result = book.MergePex(TestIds.Id(9), [
            Pex(1, "127.0.0.1:7340"),
            Pex(2, "[::1]:7340"),
            Pex(3, "0.0.0.0:7340"),
            Pex(4, "224.0.0.251:7340"),
            Pex(5, "[fe80::1]:7340"),
            Pex(6, "evil.example.com:7340"),
            Pex(7, "198.51.100.7:7340", "127.0.0.1:7340"),
        ]);
        Assert.Equal(1, result.Added);
        Assert.Equal(6, result.RejectedAddresses);
        Assert.True(book.TryGet(TestIds.Id(7), out PeerRecord seven));
        Assert.Equal(["198.51.100.7:7340"], seven.Addresses.Select(a => a.ToString()));
        Assert.Null(seven.LastSeen); // hearsay is not a sign of life

        var simulation = NewBook(new PeerBookOptions { AllowLoopbackFromPex = true });
        Assert.Equal(2, simulation.MergePex(TestIds.Id(9), [Pex(1, "127.0.0.1:7340"), Pex(2, "[::1]:7340")]).Added);
    }

    [Fact]
    public void Pex_caps_entries_per_message_new_entries_per_message_and_the_pex_share()
    {
        var options = new PeerBookOptions { MaxPexRecordsPerMessage = 10, MaxNewPexEntriesPerMessage = 4, MaxPexEntries = 6 };
        var book = NewBook(options);
        PexEntry[] many = [.. Enumerable.Range(1, 12).Select(i => Pex(i, $"198.51.100.{i}:7340"))];

        PexMergeResult first = book.MergePex(TestIds.Id(50), many);
        Assert.Equal(4, first.Added);
        Assert.Equal(2, first.IgnoredOverMessageCap);
        Assert.Equal(6, first.RejectedCapacity);

        PexMergeResult second = book.MergePex(TestIds.Id(51), [.. many.Skip(4)]);
        Assert.Equal(2, second.Added); // PEX share of 6 reached
        Assert.Equal(6, book.Count);

        // First-hand entries are not limited by the PEX share.
        Assert.True(book.Observe(TestIds.Id(40), [Addr("192.0.2.40:7340")], PeerSources.Mdns));
    }

    [Fact]
    public void The_pex_share_frees_a_slot_when_a_pex_only_entry_is_seen_first_hand_or_removed()
    {
        var book = NewBook(new PeerBookOptions { MaxPexEntries = 2 });
        Assert.Equal(2, book.MergePex(TestIds.Id(50), [Pex(1, "198.51.100.1:7340"), Pex(2, "198.51.100.2:7340")]).Added);
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(3, "198.51.100.3:7340")]).RejectedCapacity);

        // A connection to peer 1 makes it first-hand (Pex | Direct): it no longer counts toward the PEX share.
        book.RecordSuccess(TestIds.Id(1));
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(3, "198.51.100.3:7340")]).Added);
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(4, "198.51.100.4:7340")]).RejectedCapacity);

        // Removing a PEX-only entry frees its slot; removing the first-hand one frees none.
        Assert.True(book.Remove(TestIds.Id(1)));
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(4, "198.51.100.4:7340")]).RejectedCapacity);
        Assert.True(book.Remove(TestIds.Id(2)));
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(4, "198.51.100.4:7340")]).Added);
        Assert.Equal(1, book.MergePex(TestIds.Id(50), [Pex(5, "198.51.100.5:7340")]).RejectedCapacity);
    }

    [Fact]
    public void The_first_address_version_moves_only_when_an_entry_gets_a_new_first_address()
    {
        var book = NewBook();
        long v0 = book.FirstAddressVersion;
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns);
        long v1 = book.FirstAddressVersion;
        Assert.True(v1 > v0);

        // Refreshes, failures, successes over the same address, a second address and removals leave it.
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns);
        book.RecordFailure(TestIds.Id(1));
        book.RecordSuccess(TestIds.Id(1), Addr("192.0.2.1:7340"));
        book.MergePex(TestIds.Id(9), [Pex(1, "198.51.100.1:7340")]);
        Assert.Equal(v1, book.FirstAddressVersion);

        // A first-hand address goes first: a new first address.
        book.RecordSuccess(TestIds.Id(1), Addr("192.0.2.99:7340"));
        long v2 = book.FirstAddressVersion;
        Assert.True(v2 > v1);
        Assert.True(book.Remove(TestIds.Id(1)));
        Assert.Equal(v2, book.FirstAddressVersion);
        Assert.Equal(1, book.MergePex(TestIds.Id(9), [Pex(2, "198.51.100.2:7340")]).Added);
        Assert.True(book.FirstAddressVersion > v2);
    }

    [Fact]
    public void A_filtered_snapshot_keeps_the_full_snapshots_order()
    {
        var book = NewBook();
        for (int i = 1; i <= 12; i++)
        {
            book.Observe(TestIds.Id(i), [Addr($"192.0.2.{i}:7340")], PeerSources.Mdns);
            if (i % 3 == 0)
            {
                // Ties in usefulness (same time, no failures) and failures that move entries down.
                _time.Advance(TimeSpan.FromSeconds(1));
            }

            for (int f = 0; f < i % 4; f++)
            {
                book.RecordFailure(TestIds.Id(i));
            }
        }

        // Every other entry by its address's last octet.
        static bool Odd(PeerRecord r) => int.Parse(r.Addresses[0].Host.Split('.')[^1], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1;
        PeerId[] expected = [.. book.Snapshot().Where(Odd).Select(r => r.Id)];
        Assert.NotEmpty(expected);
        Assert.Equal(expected, book.Snapshot(Odd).Select(r => r.Id));
    }

    [Fact]
    public void The_mdns_share_counts_mdns_only_entries_as_they_change()
    {
        var book = NewBook(new PeerBookOptions { MaxMdnsEntries = 1 });
        Assert.True(book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns));
        Assert.False(book.Observe(TestIds.Id(2), [Addr("192.0.2.2:7340")], PeerSources.Mdns));

        // Peer 1 is also a seed now (Mdns | Seed): the mDNS-only share is empty again.
        Assert.True(book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Seed));
        Assert.True(book.Observe(TestIds.Id(2), [Addr("192.0.2.2:7340")], PeerSources.Mdns));
        Assert.False(book.Observe(TestIds.Id(3), [Addr("192.0.2.3:7340")], PeerSources.Mdns));
        Assert.True(book.Remove(TestIds.Id(2)));
        Assert.True(book.Observe(TestIds.Id(3), [Addr("192.0.2.3:7340")], PeerSources.Mdns));
    }

    [Fact]
    public void Pex_rejects_ourselves_and_keys_that_do_not_match_the_id_or_the_known_key()
    {
        var book = NewBook();
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns, publicKey: TestIds.Key(1));
        PexMergeResult result = book.MergePex(TestIds.Id(9), [
            Pex(0, "198.51.100.1:7340"),
            new PexEntry(TestIds.Id(2), [Addr("198.51.100.2:7340")], TestIds.Key(3)),
            new PexEntry(TestIds.Id(3), [Addr("198.51.100.3:7340")], TestIds.Key(3)),
        ]);
        Assert.Equal(2, result.RejectedIdentity);
        Assert.Equal(1, result.Added);
        Assert.True(book.TryGet(TestIds.Id(3), out PeerRecord three));
        Assert.Equal(TestIds.Key(3), three.PublicKey);
    }

    [Fact]
    public void Pex_adds_addresses_after_first_hand_ones_and_cannot_evict_first_hand_entries()
    {
        var book = NewBook(new PeerBookOptions { Capacity = 2 });
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns);
        book.Observe(TestIds.Id(2), [Addr("192.0.2.2:7340")], PeerSources.Mdns);
        _time.Advance(TimeSpan.FromDays(1));
        PexMergeResult result = book.MergePex(TestIds.Id(9), [Pex(1, "198.51.100.1:7340"), Pex(3, "198.51.100.3:7340")]);
        Assert.Equal(1, result.Updated);
        Assert.Equal(1, result.RejectedCapacity);
        Assert.False(book.TryGet(TestIds.Id(3), out _));
        Assert.True(book.TryGet(TestIds.Id(1), out PeerRecord one));
        Assert.Equal(["192.0.2.1:7340", "198.51.100.1:7340"], one.Addresses.Select(a => a.ToString()));
        Assert.Equal(PeerSources.Mdns | PeerSources.Pex, one.Sources);
    }

    [Fact]
    public void Pex_that_repeats_what_the_book_holds_leaves_the_record_alone_and_a_new_address_or_key_still_lands()
    {
        var book = NewBook();
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns);
        Assert.Equal(1, book.MergePex(TestIds.Id(9), [Pex(1, "198.51.100.1:7340")]).Updated);
        Assert.True(book.TryGet(TestIds.Id(1), out PeerRecord before));

        // The same entry again (address, key and the PEX source all known): counted, record unchanged.
        PexMergeResult again = book.MergePex(TestIds.Id(10), [Pex(1, "198.51.100.1:7340"), Pex(1, "192.0.2.1:7340")]);
        Assert.Equal(2, again.Updated);
        Assert.True(book.TryGet(TestIds.Id(1), out PeerRecord after));
        Assert.Same(before, after);

        // A new address is still appended after the known ones.
        book.MergePex(TestIds.Id(10), [Pex(1, "198.51.100.7:7340")]);
        Assert.True(book.TryGet(TestIds.Id(1), out PeerRecord extended));
        Assert.Equal(["192.0.2.1:7340", "198.51.100.1:7340", "198.51.100.7:7340"], extended.Addresses.Select(a => a.ToString()));

        // A record without a key learns it from an entry repeating known addresses.
        book.Observe(TestIds.Id(2), [Addr("192.0.2.2:7340")], PeerSources.Mdns | PeerSources.Pex);
        Assert.True(book.TryGet(TestIds.Id(2), out PeerRecord keyless));
        Assert.Null(keyless.PublicKey);
        book.MergePex(TestIds.Id(10), [new PexEntry(TestIds.Id(2), [Addr("192.0.2.2:7340")], TestIds.Key(2))]);
        Assert.True(book.TryGet(TestIds.Id(2), out PeerRecord keyed));
        Assert.Equal(TestIds.Key(2), keyed.PublicKey);
    }

    [Fact]
    public void Success_resets_failures_and_refreshes_last_seen()
    {
        var book = NewBook();
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Seed);
        Assert.Equal(1, book.RecordFailure(TestIds.Id(1)));
        Assert.Equal(2, book.RecordFailure(TestIds.Id(1)));
        _time.Advance(TimeSpan.FromMinutes(5));
        book.RecordSuccess(TestIds.Id(1), Addr("192.0.2.9:7340"));
        Assert.True(book.TryGet(TestIds.Id(1), out PeerRecord r));
        Assert.Equal(0, r.Failures);
        Assert.Equal(_time.GetUtcNow(), r.LastSeen);
        Assert.Equal("192.0.2.9:7340", r.Addresses[0].ToString());
        Assert.True(r.Sources.HasFlag(PeerSources.Direct));
    }

    [Fact]
    public void Saved_file_is_plain_json_with_version_and_no_temp_files_left()
    {
        var book = NewBook();
        book.Observe(TestIds.Id(1), [Addr("192.0.2.1:7340")], PeerSources.Mdns);
        book.Save(BookPath);
        string json = File.ReadAllText(BookPath, Encoding.UTF8);
        Assert.Contains("\"version\": 1", json, StringComparison.Ordinal);
        Assert.Contains(TestIds.Id(1).Value, json, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_dir));
    }
}
