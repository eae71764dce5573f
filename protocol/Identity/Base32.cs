namespace FedMesh.Protocol.Identity;

/// <summary>RFC 4648 base32, lowercase alphabet, no padding (used for peer ids: case-insensitive and typeable).</summary>
public static class Base32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int bits = 0, value = 0, o = 0;
        foreach (byte b in data)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[o++] = Alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            chars[o++] = Alphabet[(value << (5 - bits)) & 31];
        }

        return new string(chars, 0, o);
    }

    public static bool TryDecode(string text, out byte[] data)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new byte[text.Length * 5 / 8];
        int bits = 0, value = 0, o = 0;
        foreach (char c in text)
        {
            int v = Alphabet.IndexOf(char.ToLowerInvariant(c), StringComparison.Ordinal);
            if (v < 0)
            {
                data = [];
                return false;
            }

            value = (value << 5) | v;
            bits += 5;
            if (bits >= 8)
            {
                result[o++] = (byte)(value >> (bits - 8));
                bits -= 8;
            }
        }

        data = result;
        return true;
    }
}
