namespace FedMesh.Node.Membership.Internal;

/// <summary>
/// A map of at most <c>capacity</c> entries that forgets the one used longest ago when a new key arrives while it is
/// full: the state of per-peer and per-address limiters, whose size a remote party must not be able to grow.
/// A full scan finds the idlest entry (O(capacity) only when a new key arrives at capacity). Not thread-safe.
/// </summary>
internal sealed class IdleEvictingTable<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, Slot> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The entry of <paramref name="key"/> (made by <paramref name="create"/> if absent), marked used at <paramref name="now"/>.</summary>
    public TValue Touch(TKey key, long now, Func<TValue> create)
    {
        if (!_entries.TryGetValue(key, out Slot? slot))
        {
            if (_entries.Count >= capacity)
            {
                _entries.Remove(_entries.MinBy(e => e.Value.LastUsed).Key);
            }

            slot = new Slot(create());
            _entries[key] = slot;
        }

        slot.LastUsed = now;
        return slot.Value;
    }

    public bool Remove(TKey key) => _entries.Remove(key);

    private sealed class Slot(TValue value)
    {
        public TValue Value { get; } = value;

        public long LastUsed { get; set; }
    }
}
