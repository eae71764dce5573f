using FedMesh.Node.Data.Redaction;
using FedMesh.Node.Data.Redaction.Internal;

namespace FedMesh.Node.Tests.Data;

public sealed class RedactorTests
{
    private static readonly RedactionOptions WithCustom = RedactionOptions.Default with
    {
        CustomRules = [new CustomRedactionRule("customer", @"\bCUST-[0-9]{6}\b", "[CUSTOMER]")],
    };

    private static string Redact(string text, RedactionOptions? options = null, RedactionTally? tally = null)
    {
        Assert.True(new Redactor(options ?? WithCustom).TryRedact(text, tally ?? new RedactionTally(), out string redacted));
        return redacted;
    }

    [Fact]
    public void Every_planted_kind_of_personal_data_in_a_mixed_corpus_is_replaced_and_counted()
    {
        string[] planted =
        [
            "jane.doe+fed@mail.example.co.uk", "ops@example.org",
            "+44 20 7946 0958", "+1 (415) 555-2671", "(212) 555-0147", "555-867-5309", "030/1234567", "01 23 45 67 89",
            "192.168.10.254", "8.8.8.8",
            "2001:db8:85a3::8a2e:370:7334", "fe80::1", "::ffff:192.0.2.128",
            "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "3782 822463 10005",
            "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
            "CUST-004211",
        ];
        string corpus =
            $"Dear team, write to {planted[0]} or {planted[1]}. In 1861 we spent $1,250,000.\n"
            + $"Call {planted[2]}, {planted[3]}, {planted[4]} or {planted[5]}; Berlin {planted[6]}, Paris {planted[7]}.\n"
            + $"Hosts {planted[8]} and {planted[9]}; v6 {planted[10]}, link-local {planted[11]}, mapped {planted[12]}.\n"
            + $"Cards: {planted[13]}, {planted[14]}, {planted[15]}, {planted[16]}. See Section 5.3.2.\n"
            + $"Pay to {planted[17]} or {planted[18]} for customer {planted[19]} by 2016.";
        var tally = new RedactionTally();

        string redacted = Redact(corpus, tally: tally);

        foreach (string value in planted)
        {
            Assert.DoesNotContain(value, redacted, StringComparison.Ordinal);
        }

        var report = tally.ToReport();
        Assert.Equal(2, report.CountFor(RedactionRules.Email));
        Assert.Equal(6, report.CountFor(RedactionRules.Phone));
        Assert.Equal(2, report.CountFor(RedactionRules.IPv4));
        Assert.Equal(3, report.CountFor(RedactionRules.IPv6));
        Assert.Equal(4, report.CountFor(RedactionRules.Card));
        Assert.Equal(2, report.CountFor(RedactionRules.Iban));
        Assert.Equal(1, report.CountFor(RedactionRules.Custom("customer")));
        Assert.Contains("In 1861 we spent $1,250,000.", redacted, StringComparison.Ordinal);
        Assert.Contains("See Section 5.3.2.", redacted, StringComparison.Ordinal);
        Assert.EndsWith("by 2016.", redacted, StringComparison.Ordinal);
        Assert.StartsWith("Dear team, write to [EMAIL] or [EMAIL].", redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("In 1861 the war began, and by 1865 it was over.")]
    [InlineData("Revenue rose to $1,250,000.00 and 2,500,000 dollars in 1,200 ports.")]
    [InlineData("As set out in Section 5.3.2 and chapter 12.4, pages 12-15.")]
    [InlineData("The number 4111 1111 1111 1112 fails the Luhn check.")]
    [InlineData("A plain run 1234567890123456 is not a valid card.")]
    [InlineData("The years 1776-1789 and the period 1861–1912.")]
    [InlineData("Meet at 10:30:45 on 12/25/1999, ratio 3.14159, version 2.0.1.")]
    [InlineData("The account DE89 3704 0044 0532 0130 01 has a wrong check digit.")]
    [InlineData("Notes: see below: item 7 of 12; the 14th of July, 1789.")]
    [InlineData("Population 23,191,876 in 1850; debt of $68,000,000 (1860).")]
    public void Ordinary_text_is_left_alone(string text)
    {
        var tally = new RedactionTally();

        Assert.Equal(text, Redact(text, tally: tally));
        Assert.Equal(0, tally.ToReport().Total);
    }

    [Theory]
    [InlineData("4111-1111-1111-1111", "[CARD]")]
    [InlineData("4111111111111111", "[CARD]")]
    [InlineData("3056 930902 5904", "[CARD]")]
    [InlineData("6011 1111 1111 1117", "[CARD]")]
    [InlineData("+49 30 1234567", "[PHONE]")]
    [InlineData("1-800-555-0199", "[PHONE]")]
    [InlineData("555.123.4567", "[PHONE]")]
    [InlineData("020 7946 0958", "[PHONE]")]
    [InlineData("10.0.0.1", "[IPV4]")]
    [InlineData("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[IPV6]")]
    [InlineData("::1", "[IPV6]")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606", "[IBAN]")]
    [InlineData("de89370400440532013000", "[IBAN]")]
    [InlineData("first.last@sub.example.museum", "[EMAIL]")]
    public void Each_format_is_replaced_by_its_typed_token(string value, string token)
    {
        Assert.Equal($"before {value} after.", Redact($"before {value} after.", RedactionOptions.None), StringComparer.Ordinal);
        Assert.Equal($"before {token} after.", Redact($"before {value} after."));
    }

    [Theory]
    [InlineData("ip:2001:db8::1 up", "ip:[IPV6] up")]
    [InlineData("peer 10.0.0.1:8080.", "peer [IPV4]:8080.")]
    [InlineData("tel:+14155552671, fax +1-202-555-0143", "tel:[PHONE], fax [PHONE]")]
    [InlineData("<ops@example.org>", "<[EMAIL]>")]
    [InlineData("cards 4111111111111111,5555555555554444", "cards [CARD],[CARD]")]
    public void Personal_data_next_to_punctuation_is_still_found(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Theory]
    [InlineData("Free Software Foundation, 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA")]
    [InlineData("Boston, MA 02110-1301, USA")]
    [InlineData("Hartford CT 06103-1234.")]
    public void A_us_zip_plus_four_code_after_a_state_is_not_a_phone_number(string address) =>
        Assert.Equal(address, Redact(address));

    [Theory]
    [InlineData("call 02110-1301 today", "call [PHONE] today")] // the same digits without a state code in front
    [InlineData("MA office: 030 1234567", "MA office: [PHONE]")]
    [InlineData("Berlin 030 12345678 or MA 0221-123456", "Berlin [PHONE] or MA [PHONE]")]
    [InlineData("Boston, MA 02110-1301, tel. (617) 542-5942", "Boston, MA 02110-1301, tel. [PHONE]")]
    public void Phone_numbers_next_to_addresses_are_still_redacted(string text, string expected) =>
        Assert.Equal(expected, Redact(text));

    [Fact]
    public void A_valid_iban_followed_by_a_short_word_is_redacted_without_the_word()
    {
        Assert.Equal("to [IBAN] DUE today", Redact("to DE89 3704 0044 0532 0130 00 DUE today"));
    }

    [Fact]
    public void Disabled_rules_leave_their_kind_alone()
    {
        var options = RedactionOptions.Default with { Emails = false, CreditCards = false };

        Assert.Equal("a@b.org 4111111111111111 [IPV4]", Redact("a@b.org 4111111111111111 10.1.2.3", options));
    }

    [Fact]
    public void The_report_counts_rules_without_ever_containing_values()
    {
        var tally = new RedactionTally();
        Redact("mail alice@example.com, card 4111 1111 1111 1111, host 10.1.2.3", tally: tally);

        string report = tally.ToReport().ToString();

        Assert.Equal("card=1, email=1, ipv4=1", report);
        Assert.DoesNotContain("alice", report, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_quantifier_pattern_runs_in_linear_time_and_redacts_instead_of_timing_out()
    {
        // (a+)+$ backtracks exponentially on "aaa…a!" in a backtracking engine; the non-backtracking one scans once.
        var options = RedactionOptions.Default with
        {
            CustomRules = [new CustomRedactionRule("evil", "(a+)+$", "[X]")],
            RegexTimeout = TimeSpan.FromMilliseconds(200),
        };
        var redactor = new Redactor(options);
        var tally = new RedactionTally();
        string hostile = new string('a', 200_000) + "!";

        Assert.True(redactor.TryRedact(hostile, tally, out string unchanged));
        Assert.Equal(hostile, unchanged);
        Assert.True(redactor.TryRedact("ticket aaaa", tally, out string redacted));
        Assert.Equal("ticket [X]", redacted);
        Assert.Equal(0, tally.DocumentsTimedOut);
    }

    [Fact]
    public void A_pattern_that_times_out_fails_the_document_and_counts_nothing_else()
    {
        var options = RedactionOptions.Default with
        {
            // A backreference needs the backtracking engine, where nested quantifiers blow up: the time-out bounds it.
            CustomRules = [new CustomRedactionRule("evil", @"(a+)+\1$", "[X]")],
            RegexTimeout = TimeSpan.FromMilliseconds(20),
        };
        var tally = new RedactionTally();

        bool ok = new Redactor(options).TryRedact("x@example.com " + new string('a', 64) + "!", tally, out string redacted);

        Assert.False(ok);
        Assert.Equal(string.Empty, redacted);
        Assert.Equal(1, tally.DocumentsTimedOut);
        Assert.Equal(0, tally.ToReport().Total);
    }

    [Fact]
    public void An_invalid_custom_pattern_is_a_configuration_error_naming_the_rule()
    {
        var options = RedactionOptions.Default with { CustomRules = [new CustomRedactionRule("ticket", "([unclosed", "[T]")] };

        var error = Assert.Throws<ArgumentException>(() => new Redactor(options));

        Assert.Contains("'ticket'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("79927398713", true)]
    [InlineData("79927398710", false)]
    [InlineData("4111111111111112", false)]
    [InlineData("4111x111", false)]
    public void Luhn_accepts_exactly_numbers_with_a_correct_check_digit(string number, bool valid) =>
        Assert.Equal(valid, Luhn.IsValid(number));

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 32", true)]
    [InlineData("NO9386011117947", true)]
    [InlineData("GB82 WEST 1234 5698 7654 33", false)]
    [InlineData("GB82-WEST-1234-5698-7654-32", false)]
    [InlineData("1282WEST12345698765432", false)]
    public void Iban_mod_97_accepts_exactly_valid_ibans(string iban, bool valid) =>
        Assert.Equal(valid, Iban.IsValid(iban));
}
