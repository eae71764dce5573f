using FedMesh.Node.Discovery.Internal;
using FedMesh.Node.Membership;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Discovery;

public sealed partial class MdnsDiscovery
{
    /// <summary>RFC 6762 §5.2: the first query is delayed by a random 20–120 ms so that hosts started together do not collide.</summary>
    private static readonly TimeSpan FirstQueryMinDelay = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan FirstQueryDelaySpread = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Known answers listed per query: a compressed PTR known answer takes about 45 bytes, so 128 of them (≈ 6 KB)
    /// keep the query under the 9000-byte mDNS packet limit (RFC 6762 §17) that receivers enforce. Peers beyond
    /// that simply answer again, which is harmless.
    /// </summary>
    private const int MaxKnownAnswers = 128;

    private static readonly TimeSpan SecondAnnouncementDelay = TimeSpan.FromSeconds(1);

    /// <summary>Expiry is checked at least this often (the query interval grows to an hour, TTLs are 2 minutes).</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);

    /// <summary>Interval after the <paramref name="n"/>-th query (0-based): 1 s, 2 s, 4 s … capped at 60 min (RFC 6762 §5.2).</summary>
    public static TimeSpan QueryInterval(int n, MdnsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Backoff.Exponential(options.InitialQueryInterval, options.MaxQueryInterval, n);
    }

    private async Task QueryLoopAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset nextQueryAt = _time.GetUtcNow() + FirstQueryMinDelay + (FirstQueryDelaySpread * _random.NextDouble());
        // RFC 6762 §8.3: at least two unsolicited announcements, one second apart (the first went out in StartAsync).
        DateTimeOffset? announceAgainAt = _time.GetUtcNow() + SecondAnnouncementDelay;
        int index = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (Interlocked.Exchange(ref _requery, 0) == 1)
            {
                // An interface appeared: query now, then restart the doubling.
                nextQueryAt = now;
                index = 0;
            }

            if (announceAgainAt is { } again && now >= again)
            {
                announceAgainAt = null;
                foreach (MulticastInterface iface in _transport.Interfaces)
                {
                    await AnnounceAsync(iface, goodbye: false, cancellationToken).ConfigureAwait(false);
                }
            }

            List<string> refresh = ExpireAndCollectRefresh(now);
            if (now >= nextQueryAt || refresh.Count > 0)
            {
                await SendQueryAsync(refresh, cancellationToken).ConfigureAwait(false);
                if (now >= nextQueryAt)
                {
                    nextQueryAt = now + QueryInterval(index, _options);
                    index++;
                }
            }

            TimeSpan sleep = (announceAgainAt is { } pending && pending < nextQueryAt ? pending : nextQueryAt) - now;
            sleep = sleep < TimeSpan.Zero ? TimeSpan.Zero : sleep > MaxSleep ? MaxSleep : sleep;
            CancellationTokenSource wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_lock)
            {
                _wait?.Dispose();
                _wait = wait;
            }

            try
            {
                await Task.Delay(sleep, _time, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Woken early by a new interface.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Removes expired peers (publishing Lost) and returns the instances due for a cache-maintenance query.</summary>
    private List<string> ExpireAndCollectRefresh(DateTimeOffset now)
    {
        var lost = new List<DiscoveredPeer>();
        var refresh = new List<string>();
        lock (_lock)
        {
            foreach (var (id, tracked) in _peers.ToList())
            {
                if (now >= tracked.ExpiresAt)
                {
                    _peers.Remove(id);
                    lost.Add(tracked.Peer with { Change = DiscoveryChange.Lost });
                }
                else if (tracked.Refreshes < 2 && now >= tracked.RefreshAt)
                {
                    tracked.Refreshes++;
                    refresh.Add(InstanceName(id));
                }
            }
        }

        foreach (DiscoveredPeer peer in lost)
        {
            Publish(peer);
        }

        return refresh;
    }

    private async Task SendQueryAsync(List<string> refresh, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        List<(string, TimeSpan)> known;
        lock (_lock)
        {
            // Known answers with more than half their TTL left (RFC 6762 §7.1): those peers need not answer.
            known = [.. _peers.Values
                .Select(p => (Name: InstanceName(p.Peer.PeerId), Left: p.PtrTtl - (now - p.ReceivedAt), p.PtrTtl))
                .Where(p => p.Left > p.PtrTtl / 2)
                .Take(MaxKnownAnswers)
                .Select(p => (p.Name, p.Left))];
        }

        byte[] packet = MdnsMessages.BuildQuery(known, refresh).ToByteArray();
        foreach (MulticastInterface iface in _transport.Interfaces)
        {
            await _transport.SendAsync(packet, iface.Index, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref Counters.QueriesSentField);
    }

    private static string InstanceName(PeerId id) => $"{id}.{MdnsOptions.ServiceType}";
}
