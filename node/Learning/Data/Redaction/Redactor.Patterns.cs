using System.Text.RegularExpressions;

namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// Built-in detectors, compiled at build time by the regex source generator. Every quantifier is bounded and the
/// candidates are validated in code (Luhn, mod-97, IP parsing, digit counts), so the patterns can stay simple and
/// linear. The time-out is a last line of defence: 2 s is two orders of magnitude above a scan of the largest
/// allowed document.
/// </summary>
public sealed partial class Redactor
{
    private const int BuiltInTimeoutMs = 2000;

    // Local part: RFC 5322 dot-atom characters in common use; domain: 1–8 DNS labels of at most 63 characters and an
    // alphabetic TLD. No look-behind before the local part: with a leading set loop followed by "@" the generated
    // matcher searches for the "@" and walks back, 3× faster on prose than trying every letter (bench redact).
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,63}(?![\w-])",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex EmailPattern();

    // Country code, check digits, then 2–7 groups of four and a short tail; with or without single spaces.
    // "\b" rather than a look-behind lets the matcher search for the rare digit pair at offset 2 first (20× faster).
    [GeneratedRegex(@"\b[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?!\w)",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex IbanPattern();

    // 13–19 digits: 4-4-4-1..4(-1..3) or 4-6-4..5 (Amex/Diners), one consistent separator (space, dash or none).
    // Not a continuation of a longer digit group list, nor the body of an IBAN whose check failed ("DE89 3704 …").
    [GeneratedRegex(@"(?<![\d-])(?<![0-9][ -])(?<![A-Za-z]{2}[0-9]{2} )(?:[0-9]{4}(?<s>[ -]?)[0-9]{4}\k<s>[0-9]{4}\k<s>[0-9]{1,4}(?:\k<s>[0-9]{1,3})?|[0-9]{4}(?<t>[ -]?)[0-9]{6}\k<t>[0-9]{4,5})(?![0-9])",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex CardPattern();

    // Candidate only (2–7 colons, hex groups, optional dotted-quad tail); IPAddress.TryParse decides. The first two
    // groups are spelled out so the matcher can look for the second ':' at a bounded distance. A ':' may precede the
    // address ("ip:2001:db8::1"); a word character or '.' may not.
    [GeneratedRegex(@"(?<![\w.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:(?:[0-9A-Fa-f]{0,4}:){0,5}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4})(?![\w:])",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex IPv6Pattern();

    // Four octets 0–255; not part of a longer dotted number ("1.2.3.4.5") or a word.
    [GeneratedRegex(@"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![\w]|\.[0-9])",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex IPv4Pattern();

    // 1) international: "+" country code then 2–6 groups (optionally parenthesised) — digit count checked in code;
    // 2) North American: optional "1-", area code in parentheses or followed by "-"/".", then 3-4 digits;
    // 3) national trunk prefix "0": groups separated by space, "/" or "-" — digit count checked in code — except a US
    //    ZIP+4 code after a state abbreviation ("Boston, MA 02110-1301": New England ZIPs start with 0, and 5-4 digits
    //    pass the 9-digit minimum); the same digits without a state code in front are still taken for a phone number.
    // The look-arounds keep amounts ("$1,000-2,000"), decimals and dotted section numbers out.
    [GeneratedRegex(@"(?<![\w+])\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,6}(?![0-9])"
        + @"|(?<![\w$€£.,/+-])(?:1[ .-])?(?:\([0-9]{3}\) ?|[0-9]{3}[.-])[0-9]{3}[.-][0-9]{4}(?![\w]|[.,/-][0-9])"
        + @"|(?<![\w$€£.,/+-])(?!(?<=\b[A-Z]{2},? )[0-9]{5}-[0-9]{4}(?![0-9]))0[0-9]{1,4}(?:[ /-][0-9]{2,8}){1,4}(?![\w]|[.,/-][0-9])",
        RegexOptions.CultureInvariant, BuiltInTimeoutMs)]
    private static partial Regex PhonePattern();
}
