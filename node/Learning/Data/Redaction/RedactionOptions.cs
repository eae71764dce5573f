namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// What <see cref="Redactor"/> removes from local documents before they reach the model. The node loads this
/// policy from its config; the defaults turn every built-in detector on, because a missed redaction leaks data
/// into shared adapter deltas while a spurious one only costs a few tokens of training text.
/// </summary>
public sealed record RedactionOptions
{
    public static readonly RedactionOptions Default = new();

    /// <summary>Policy that redacts nothing (e.g. for public-domain corpora such as the shipped SOTU addresses).</summary>
    public static readonly RedactionOptions None = new()
    {
        Emails = false,
        Phones = false,
        IPv4 = false,
        IPv6 = false,
        CreditCards = false,
        Ibans = false,
    };

    /// <summary>E-mail addresses (RFC 5322 dot-atom local part, DNS host name) → <c>[EMAIL]</c>.</summary>
    public bool Emails { get; init; } = true;

    /// <summary>
    /// Phone numbers → <c>[PHONE]</c>: international "+CC …" (E.164, 8–15 digits), North-American
    /// "(555) 123-4567" / "555-123-4567" / "555.123.4567", and national trunk-prefix forms such as
    /// "020 7946 0958" or "01 23 45 67 89" (9–12 digits). Bare digit runs are left alone: without a
    /// separator or "+" a phone number cannot be told from a count or an amount.
    /// </summary>
    public bool Phones { get; init; } = true;

    /// <summary>Dotted-quad IPv4 addresses, each octet 0–255 → <c>[IPV4]</c>.</summary>
    public bool IPv4 { get; init; } = true;

    /// <summary>IPv6 addresses (RFC 4291 text forms incl. "::" and an embedded IPv4 tail) → <c>[IPV6]</c>.</summary>
    public bool IPv6 { get; init; } = true;

    /// <summary>
    /// Payment card numbers → <c>[CARD]</c>: 13–19 digits, optionally grouped 4-4-4-… or 4-6-5 with spaces or
    /// dashes, and only if the Luhn check digit is right (ISO/IEC 7812), so ordinary long numbers stay.
    /// </summary>
    public bool CreditCards { get; init; } = true;

    /// <summary>IBANs (ISO 13616, optionally in groups of four) whose mod-97 check is 1 → <c>[IBAN]</c>.</summary>
    public bool Ibans { get; init; } = true;

    /// <summary>Site-specific patterns (customer numbers, internal host names), applied after the built-ins.</summary>
    public IReadOnlyList<CustomRedactionRule> CustomRules { get; init; } = [];

    /// <summary>
    /// JSON Lines fields that are never read (matched by exact name, at the top level of each record), e.g. "email"
    /// or "completion". Dropping happens before text extraction, so a dropped field contributes no text at all.
    /// </summary>
    public IReadOnlyList<string> DropJsonFields { get; init; } = [];

    /// <summary>
    /// Time-out of one match operation of a custom rule. 1 s: a linear scan of the largest allowed document
    /// (16 MiB) takes tens of milliseconds, while a catastrophically backtracking pattern on hostile input runs for
    /// minutes. On a time-out the document is dropped, never kept unredacted.
    /// </summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
