namespace FedMesh.Protocol.Messages.Internal;

/// <summary>
/// The strings decoded lately from the same UTF-8 bytes, per slot, the slot chosen by a hash of the bytes
/// (direct-mapped: a new text overwrites whatever shared its slot), so text that keeps arriving (peer addresses in
/// every PeerList and Hello) is decoded into one string instead of a new one each time. Fixed size whatever the
/// input; a miss just decodes. Not thread-safe: <see cref="BodyReader"/> keeps one per thread.
/// </summary>
internal sealed class RecentStrings(int slots)
{
    private readonly (byte[]? Utf8, string? Text)[] _slots = new (byte[]?, string?)[slots];

    /// <summary>The string remembered for exactly these bytes, or null.</summary>
    public string? Find(ReadOnlySpan<byte> utf8)
    {
        (byte[]? bytes, string? text) = _slots[SlotOf(utf8)];
        return bytes is not null && utf8.SequenceEqual(bytes) ? text : null;
    }

    /// <summary>Remembers <paramref name="text"/> as what <paramref name="utf8"/> decodes to.</summary>
    public void Remember(ReadOnlySpan<byte> utf8, string text) => _slots[SlotOf(utf8)] = (utf8.ToArray(), text);

    /// <summary>FNV-1a (32-bit): the texts are short (addresses, at most <see cref="MessageLimits.MaxAddressBytes"/>
    /// bytes), and it spreads the ones that differ in a digit or two.</summary>
    private int SlotOf(ReadOnlySpan<byte> utf8)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        uint hash = OffsetBasis;
        foreach (byte b in utf8)
        {
            hash = (hash ^ b) * Prime;
        }

        return (int)(hash % (uint)_slots.Length);
    }
}
