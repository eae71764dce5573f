namespace FedMesh.Protocol.Messages.Internal;

/// <summary>
/// The strings made lately from the same bytes (by one function per instance), per slot, the slot chosen by a hash of
/// the bytes (direct-mapped: a new entry overwrites whatever shared its slot), so bytes that keep arriving (content ids
/// in every Have, Want, manifest and chunk) give one string instead of a new one each time. Fixed size whatever the
/// input; a miss just makes the string. Not thread-safe: its users keep one per thread.
/// </summary>
internal sealed class RecentStrings(int slots)
{
    private readonly (byte[]? Bytes, string? Text)[] _slots = new (byte[]?, string?)[slots];

    /// <summary>Makes a string from bytes (the one function an instance memoises).</summary>
    public delegate string Maker(ReadOnlySpan<byte> bytes);

    /// <summary>The string remembered for exactly these bytes, else <paramref name="make"/>'s, remembered (unless it
    /// throws: nothing is remembered for bytes it refuses).</summary>
    public string Get(ReadOnlySpan<byte> bytes, Maker make)
    {
        ref (byte[]? Bytes, string? Text) slot = ref _slots[SlotOf(bytes)];
        if (slot.Bytes is not null && bytes.SequenceEqual(slot.Bytes))
        {
            return slot.Text!;
        }

        string text = make(bytes);
        slot = (bytes.ToArray(), text);
        return text;
    }

    /// <summary>FNV-1a (32-bit): the keys are short (32-byte content ids), and it spreads the ones that differ in a
    /// byte or two.</summary>
    private int SlotOf(ReadOnlySpan<byte> bytes)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        uint hash = OffsetBasis;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return (int)(hash % (uint)_slots.Length);
    }
}
