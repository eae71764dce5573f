namespace FedMesh.Node.Membership;

public sealed partial class PeerBook
{
    /// <summary>
    /// How useful an entry is, as a point in time (larger is better): the last first-hand sign of life (or when it
    /// was added, if never seen), aged by <paramref name="failurePenalty"/> per consecutive failure. A peer seen an
    /// hour ago with no failures ranks with one seen now that failed once. Seeds are never evicted, so they rank at
    /// the top regardless.
    /// </summary>
    public static double Usefulness(PeerRecord record, DateTimeOffset now, TimeSpan failurePenalty)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Sources.HasFlag(PeerSources.Seed))
        {
            return double.MaxValue;
        }

        DateTimeOffset reference = record.LastSeen ?? record.AddedAt;
        if (reference > now)
        {
            // A timestamp from the future (clock step, edited file) earns nothing over "now".
            reference = now;
        }

        return reference.ToUnixTimeMilliseconds() - (record.Failures * failurePenalty.TotalMilliseconds);
    }

    /// <summary>
    /// Inserts, evicting the least useful non-seed entry when full if it is less useful than the new one. Hearsay
    /// (a PEX-only entry) may only displace other hearsay, so gossip cannot push out what we saw ourselves.
    /// </summary>
    private bool TryInsert(PeerRecord record, DateTimeOffset now)
    {
        if (_peers.Count >= Options.Capacity)
        {
            bool hearsay = record.Sources == PeerSources.Pex;
            PeerRecord? victim = _peers.Values
                .Where(r => !r.Sources.HasFlag(PeerSources.Seed) && (!hearsay || r.Sources == PeerSources.Pex))
                .MinBy(r => Usefulness(r, now, Options.FailurePenalty));
            bool newIsSeed = record.Sources.HasFlag(PeerSources.Seed);
            if (victim is null || (!newIsSeed && Usefulness(victim, now, Options.FailurePenalty) >= Usefulness(record, now, Options.FailurePenalty)))
            {
                return false;
            }

            Drop(victim.Id);
            Log.Evicted(_logger, victim.Id.Value, victim.Failures);
        }

        Put(record);
        return true;
    }
}
