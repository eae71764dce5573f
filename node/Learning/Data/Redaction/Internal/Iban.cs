namespace FedMesh.Node.Data.Redaction.Internal;

/// <summary>IBAN validation by the ISO 13616-1 / ISO 7064 MOD 97-10 check.</summary>
internal static class Iban
{
    /// <summary>Shortest IBAN in use (Norway, 15 characters).</summary>
    public const int MinLength = 15;

    /// <summary>Longest IBAN allowed by ISO 13616 (34 characters).</summary>
    public const int MaxLength = 34;

    /// <summary>
    /// True when <paramref name="text"/> (spaces ignored, letters of any case) is 2 letters, 2 check digits and an
    /// alphanumeric account part of 15–34 characters in all, and moving the first four characters to the end and
    /// reading letters as 10..35 gives a number ≡ 1 (mod 97). Per-country lengths are not checked: the mod-97 test
    /// already rejects 98.97 % of random strings, which is what matters for redaction.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> text)
    {
        Span<char> compact = stackalloc char[MaxLength];
        int length = 0;
        foreach (char c in text)
        {
            if (c == ' ')
            {
                continue;
            }

            if (length == MaxLength || !char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }

            compact[length++] = char.ToUpperInvariant(c);
        }

        if (length < MinLength
            || !char.IsAsciiLetter(compact[0]) || !char.IsAsciiLetter(compact[1])
            || !char.IsAsciiDigit(compact[2]) || !char.IsAsciiDigit(compact[3]))
        {
            return false;
        }

        // Piecewise mod 97 over the rearranged string (ISO 7064): remainder stays < 97, so at most 4 decimal digits
        // are ever held, no big-integer arithmetic needed.
        int remainder = 0;
        for (int i = 0; i < length; i++)
        {
            char c = compact[(i + 4) % length];
            remainder = char.IsAsciiDigit(c)
                ? ((remainder * 10) + (c - '0')) % 97
                : ((remainder * 100) + (c - 'A' + 10)) % 97;
        }

        return remainder == 1;
    }
}
