namespace FedMesh.Node.Data.Redaction.Internal;

/// <summary>The Luhn mod-10 check digit of payment card numbers (ISO/IEC 7812-1, Annex B).</summary>
internal static class Luhn
{
    /// <summary>
    /// True when the digits of <paramref name="text"/> (spaces and dashes ignored, anything else fails) pass the
    /// Luhn check: from the right, every second digit is doubled (minus 9 if over 9) and the sum is a multiple of 10.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> text)
    {
        int sum = 0;
        int digits = 0;
        for (int i = text.Length - 1; i >= 0; i--)
        {
            char c = text[i];
            if (c is ' ' or '-')
            {
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            int d = c - '0';
            if ((digits & 1) == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            digits++;
        }

        return digits > 0 && sum % 10 == 0;
    }
}
