using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

public sealed partial class PeerBook
{
    /// <summary>
    /// Merges a remote peer's PeerList into the book. Untrusted input: at most
    /// <see cref="PeerBookOptions.MaxPexRecordsPerMessage"/> entries are looked at; entries about ourselves, with a
    /// key that does not hash to the id or contradicts the one we know, or without an acceptable address
    /// (<see cref="PexSanity.IsAcceptableRemoteAddress"/>) are rejected; new entries are limited per message and by
    /// the PEX share of the book. Hearsay never sets "last seen" and never removes first-hand addresses.
    /// </summary>
    public PexMergeResult MergePex(PeerId reporter, IReadOnlyList<PexEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        int considered = Math.Min(entries.Count, Options.MaxPexRecordsPerMessage);
        int added = 0, updated = 0, badIdentity = 0, badAddresses = 0, capacity = 0;
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            // The PEX-only share as this message found it, plus what it added (the book's count, read when an entry
            // would be added: most entries of a shuffle in a settled mesh are peers the book already holds).
            int pexOnly = -1;
            for (int i = 0; i < considered; i++)
            {
                PexEntry entry = entries[i];
                if (entry is null || entry.Id == Self || entry.Id.Value.Length == 0 || !PexSanity.KeyMatchesId(entry.Id, entry.PublicKey))
                {
                    badIdentity++;
                    continue;
                }

                PeerAddress[] addresses = AcceptableAddresses(entry.Addresses);
                if (addresses.Length == 0)
                {
                    badAddresses++;
                    continue;
                }

                if (_peers.TryGetValue(entry.Id, out PeerRecord? existing))
                {
                    if (existing.PublicKey is { } known && entry.PublicKey is { } claimed && !known.AsSpan().SequenceEqual(claimed))
                    {
                        badIdentity++;
                        continue;
                    }

                    // Second-hand addresses go after the ones we already have. An entry that brings nothing new (its
                    // addresses known, the key and the PEX source already recorded) leaves the record as it is.
                    if (AddsNothing(existing, addresses, entry.PublicKey))
                    {
                        updated++;
                        continue;
                    }

                    Put(existing with
                    {
                        Addresses = MergeAddresses(existing.Addresses, addresses),
                        Sources = existing.Sources | PeerSources.Pex,
                        PublicKey = existing.PublicKey ?? entry.PublicKey,
                    });
                    updated++;
                    continue;
                }

                if (pexOnly < 0 && added < Options.MaxNewPexEntriesPerMessage)
                {
                    pexOnly = CountOnly(PeerSources.Pex);
                }

                if (added >= Options.MaxNewPexEntriesPerMessage || pexOnly >= Options.MaxPexEntries)
                {
                    capacity++;
                    continue;
                }

                var record = new PeerRecord
                {
                    Id = entry.Id,
                    PublicKey = entry.PublicKey,
                    Addresses = addresses,
                    Sources = PeerSources.Pex,
                    AddedAt = now,
                };
                if (TryInsert(record, now))
                {
                    added++;
                    pexOnly++;
                }
                else
                {
                    capacity++;
                }
            }
        }

        var result = new PexMergeResult
        {
            Added = added,
            Updated = updated,
            IgnoredOverMessageCap = entries.Count - considered,
            RejectedIdentity = badIdentity,
            RejectedAddresses = badAddresses,
            RejectedCapacity = capacity,
        };
        if (result.IgnoredOverMessageCap + badIdentity + badAddresses + capacity > 0)
        {
            Log.PexRejected(_logger, reporter.Value, result.IgnoredOverMessageCap, badIdentity, badAddresses, capacity);
        }

        return result;
    }

    /// <summary>The first <see cref="PeerBookOptions.MaxAddressesPerPeer"/> of a PEX entry's addresses that
    /// <see cref="PexSanity.IsAcceptableRemoteAddress"/> accepts, in order (one array per entry, no iterator chain:
    /// every PeerList entry passes here).</summary>
    private PeerAddress[] AcceptableAddresses(IReadOnlyList<PeerAddress>? offered)
    {
        if (offered is null || offered.Count == 0)
        {
            return [];
        }

        int considered = Math.Min(offered.Count, Options.MaxAddressesPerPeer);
        var kept = new PeerAddress[considered];
        int n = 0;
        for (int i = 0; i < considered; i++)
        {
            PeerAddress a = offered[i];
            if (a.Host is not null && PexSanity.IsAcceptableRemoteAddress(a, Options.AllowLoopbackFromPex))
            {
                kept[n++] = a;
            }
        }

        return n == considered ? kept : kept[..n];
    }

    /// <summary>Merging <paramref name="addresses"/> and <paramref name="key"/> into <paramref name="existing"/> would give
    /// the same record: every address is already listed (or the list is full, so none would be kept), the key is
    /// known (or none is offered) and the PEX source is already set.</summary>
    private bool AddsNothing(PeerRecord existing, PeerAddress[] addresses, byte[]? key)
    {
        if ((existing.Sources & PeerSources.Pex) == 0 || (existing.PublicKey is null && key is not null))
        {
            return false;
        }

        if (existing.Addresses.Count >= Options.MaxAddressesPerPeer)
        {
            return true;
        }

        foreach (PeerAddress address in addresses)
        {
            if (!existing.Addresses.Contains(address))
            {
                return false;
            }
        }

        return true;
    }
}
