namespace FedMesh.Node.Data.Redaction;

/// <summary>Names of the built-in rules (report keys) and the typed tokens that replace their matches.</summary>
public static class RedactionRules
{
    public const string Email = "email";
    public const string Phone = "phone";
    public const string IPv4 = "ipv4";
    public const string IPv6 = "ipv6";
    public const string Card = "card";
    public const string Iban = "iban";

    public const string EmailToken = "[EMAIL]";
    public const string PhoneToken = "[PHONE]";
    public const string IPv4Token = "[IPV4]";
    public const string IPv6Token = "[IPV6]";
    public const string CardToken = "[CARD]";
    public const string IbanToken = "[IBAN]";

    /// <summary>Report key of a custom rule.</summary>
    public static string Custom(string name) => "custom:" + name;

    /// <summary>Report key of a dropped JSON field.</summary>
    public static string JsonField(string name) => "json-field:" + name;
}
