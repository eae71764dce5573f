using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FedMesh.Node.Data.Redaction.Internal;

namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// Replaces personal data in a document by typed tokens ("[EMAIL]", "[CARD]", …) according to a
/// <see cref="RedactionOptions"/> policy. Rules run in a fixed order — e-mail, IBAN, card, IPv6, IPv4, phone,
/// custom — most specific first, so a later, looser rule never sees digits that belonged to an earlier match
/// (the tokens themselves contain no digits). Stateless after construction and safe to share between threads;
/// counts go to the caller's <see cref="RedactionTally"/>.
/// </summary>
public sealed partial class Redactor
{
    private readonly RedactionOptions _options;
    private readonly (string Key, Regex Regex, string Token)[] _custom;

    /// <param name="options">The policy.</param>
    /// <exception cref="ArgumentException">A custom rule has an empty name or token, or an invalid pattern; the
    /// message names the rule.</exception>
    public Redactor(RedactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RegexTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"redaction regex time-out must be positive, got {options.RegexTimeout}", nameof(options));
        }

        _options = options;
        DroppedJsonFields = options.DropJsonFields.ToHashSet(StringComparer.Ordinal);
        _custom = options.CustomRules.Select(rule => Compile(rule, options.RegexTimeout)).ToArray();
    }

    public RedactionOptions Options => _options;

    /// <summary>JSON Lines fields the loader must skip unread.</summary>
    public IReadOnlySet<string> DroppedJsonFields { get; }

    /// <summary>
    /// Redacts <paramref name="text"/>. Returns false — and counts a time-out — when a rule exceeded its regex
    /// time-out; the caller must then drop the document, since it may be only partly redacted.
    /// </summary>
    public bool TryRedact(string text, RedactionTally tally, out string redacted)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tally);
        try
        {
            redacted = Redact(text, tally);
            return true;
        }
        catch (RegexMatchTimeoutException)
        {
            tally.AddTimeout();
            redacted = string.Empty;
            return false;
        }
    }

    private string Redact(string text, RedactionTally tally)
    {
        // Counts are collected locally and only committed when every rule finished, so a document dropped for a
        // time-out adds nothing to the per-rule counts.
        Span<long> counts = stackalloc long[6]; // one per built-in rule, in the order they run below
        var custom = _custom.Length == 0 ? null : new long[_custom.Length];

        // Every address has an "@": a vectorised search skips the regex on the vast majority of documents.
        if (_options.Emails && text.Contains('@', StringComparison.Ordinal))
        {
            text = ReplaceAll(EmailPattern(), text, RedactionRules.EmailToken, Whole, ref counts[0]);
        }

        if (_options.Ibans)
        {
            text = ReplaceAll(IbanPattern(), text, RedactionRules.IbanToken, LongestValidIbanPrefix, ref counts[1]);
        }

        if (_options.CreditCards)
        {
            text = ReplaceAll(CardPattern(), text, RedactionRules.CardToken, static m => WholeIf(Luhn.IsValid(m), m), ref counts[2]);
        }

        if (_options.IPv6)
        {
            text = ReplaceAll(IPv6Pattern(), text, RedactionRules.IPv6Token, static m => WholeIf(IsIPv6(m), m), ref counts[3]);
        }

        if (_options.IPv4)
        {
            text = ReplaceAll(IPv4Pattern(), text, RedactionRules.IPv4Token, Whole, ref counts[4]);
        }

        if (_options.Phones)
        {
            text = ReplaceAll(PhonePattern(), text, RedactionRules.PhoneToken, static m => WholeIf(IsPhone(m), m), ref counts[5]);
        }

        for (int i = 0; i < _custom.Length; i++)
        {
            text = ReplaceAll(_custom[i].Regex, text, _custom[i].Token, Whole, ref custom![i]);
        }

        tally.Add(RedactionRules.Email, counts[0]);
        tally.Add(RedactionRules.Iban, counts[1]);
        tally.Add(RedactionRules.Card, counts[2]);
        tally.Add(RedactionRules.IPv6, counts[3]);
        tally.Add(RedactionRules.IPv4, counts[4]);
        tally.Add(RedactionRules.Phone, counts[5]);
        for (int i = 0; i < _custom.Length; i++)
        {
            tally.Add(_custom[i].Key, custom![i]);
        }

        return text;
    }

    /// <summary>
    /// Replaces matches by <paramref name="token"/>: <paramref name="accept"/> returns how many characters of the
    /// match to replace (its whole length, a shorter valid prefix, or 0 to keep it). Scans with
    /// <see cref="Regex.EnumerateMatches(ReadOnlySpan{char})"/> and builds the output only when something matched,
    /// so clean text (the common case) costs one scan and no allocation.
    /// </summary>
    private static string ReplaceAll(Regex regex, string text, string token, Func<ReadOnlySpan<char>, int> accept, ref long count)
    {
        System.Text.StringBuilder? output = null;
        int copied = 0;
        foreach (var match in regex.EnumerateMatches(text))
        {
            int length = accept(text.AsSpan(match.Index, match.Length));
            if (length == 0)
            {
                continue;
            }

            output ??= new System.Text.StringBuilder(text.Length);
            output.Append(text, copied, match.Index - copied).Append(token);
            copied = match.Index + length;
            count++;
        }

        return output is null ? text : output.Append(text, copied, text.Length - copied).ToString();
    }

    private static int Whole(ReadOnlySpan<char> match) => match.Length;

    private static int WholeIf(bool valid, ReadOnlySpan<char> match) => valid ? match.Length : 0;

    /// <summary>
    /// IBAN candidates may swallow a following short word ("… 0130 00 DUE"); when the whole candidate fails the
    /// mod-97 check, shorter prefixes ending at a space are tried before giving up.
    /// </summary>
    private static int LongestValidIbanPrefix(ReadOnlySpan<char> candidate)
    {
        int length = candidate.Length;
        while (length >= Iban.MinLength)
        {
            if (Iban.IsValid(candidate[..length]))
            {
                return length;
            }

            length = candidate[..length].LastIndexOf(' ');
        }

        return 0;
    }

    private static bool IsIPv6(ReadOnlySpan<char> candidate) =>
        candidate.IndexOfAny("0123456789abcdefABCDEF") >= 0
        && IPAddress.TryParse(candidate, out var address)
        && address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>E.164 caps numbers at 15 digits; national forms with a trunk "0" have at least 9 (e.g. "030 123456").</summary>
    private static bool IsPhone(ReadOnlySpan<char> candidate)
    {
        int digits = 0;
        foreach (char c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
        }

        return candidate[0] switch
        {
            '+' => digits is >= 8 and <= 15,
            '0' => digits is >= 9 and <= 12,
            _ => true, // North American pattern: exact shape already enforced by the regex.
        };
    }

    /// <summary>
    /// A site's pattern, with the non-backtracking engine whenever the pattern allows it: that engine runs in time
    /// linear in the input, so a pattern such as <c>(a+)+$</c>, exponential for a backtracking engine on
    /// "aaa…a!", costs one pass and the document is redacted instead of dropped. Patterns it cannot run
    /// (backreferences, lookarounds, atomic groups, conditionals) fall back to the backtracking engine, bounded by
    /// the time-out; either way the time-out stays as a second bound.
    /// </summary>
    internal static Regex CompilePattern(string pattern, TimeSpan timeout)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, timeout);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, timeout);
        }
    }

    private static (string Key, Regex Regex, string Token) Compile(CustomRedactionRule rule, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            throw new ArgumentException("custom redaction rule: the name is empty");
        }

        if (string.IsNullOrEmpty(rule.Token))
        {
            throw new ArgumentException($"custom redaction rule '{rule.Name}': the token is empty");
        }

        try
        {
            return (RedactionRules.Custom(rule.Name), CompilePattern(rule.Pattern, timeout), rule.Token);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"custom redaction rule '{rule.Name}': invalid pattern: {ex.Message}", ex);
        }
    }
}
