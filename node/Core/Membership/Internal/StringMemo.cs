namespace FedMesh.Node.Membership.Internal;

/// <summary>
/// Remembers the last result of a pure function of a string per slot, the slot chosen by the string's hash
/// (direct-mapped, as a CPU cache: a new key overwrites whatever shared its slot). Memory is fixed at
/// <c>slots</c> entries whatever the input, so untrusted text (peer lists) cannot grow it; a miss just recomputes.
/// Not thread-safe: callers keep one per thread.
/// </summary>
internal sealed class StringMemo<T>(int slots)
{
    private readonly (string? Key, T Value)[] _slots = new (string?, T)[slots];

    public bool TryGet(string key, out T value)
    {
        ref (string? Key, T Value) slot = ref Slot(key);
        if (string.Equals(slot.Key, key, StringComparison.Ordinal))
        {
            value = slot.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(string key, T value) => Slot(key) = (key, value);

    private ref (string? Key, T Value) Slot(string key) => ref _slots[(int)((uint)key.GetHashCode(StringComparison.Ordinal) % (uint)_slots.Length)];
}
