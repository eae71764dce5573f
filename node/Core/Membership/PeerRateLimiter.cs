using FedMesh.Node.Membership.Internal;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Membership;

/// <summary>
/// Per-peer token buckets for bytes and messages per second. <see cref="TryAdmit"/> admits a message only when both
/// buckets can pay; the caller drops (or delays reading) otherwise. Memory is bounded by
/// <see cref="RateLimitOptions.MaxTrackedPeers"/>. Thread-safe.
/// </summary>
public sealed class PeerRateLimiter
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly IdleEvictingTable<PeerId, Entry> _peers;
    private readonly Lock _lock = new();

    public PeerRateLimiter(TimeProvider time, RateLimitOptions? options = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options ?? RateLimitOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxTrackedPeers, 1);
        _peers = new IdleEvictingTable<PeerId, Entry>(_options.MaxTrackedPeers);
    }

    public int TrackedPeers
    {
        get
        {
            lock (_lock)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Admits one message of <paramref name="bytes"/> from <paramref name="peer"/> if both budgets allow.</summary>
    public bool TryAdmit(PeerId peer, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            Entry entry = _peers.Touch(peer, _time.GetTimestamp(), () => new Entry(
                new TokenBucket(_options.BytesPerSecond, _options.BurstBytes, _time),
                new TokenBucket(_options.MessagesPerSecond, _options.BurstMessages, _time)));
            // Check both before spending either, so a refused message costs nothing.
            if (entry.Messages.Available < 1 || entry.Bytes.Available < bytes)
            {
                return false;
            }

            return entry.Messages.TryTake(1) && entry.Bytes.TryTake(bytes);
        }
    }

    public void Forget(PeerId peer)
    {
        lock (_lock)
        {
            _peers.Remove(peer);
        }
    }

    private sealed class Entry(TokenBucket bytes, TokenBucket messages)
    {
        public TokenBucket Bytes { get; } = bytes;

        public TokenBucket Messages { get; } = messages;
    }
}
