namespace FedMesh.Node.Configuration;

/// <summary>The <c>[data]</c> section: the private local corpus and how it is redacted before training.</summary>
public sealed record DataSection
{
    public static readonly DataSection Default = new();

    /// <summary>Inside the state directory so that the systemd sandbox (ProtectSystem=strict) can read it without extra paths.</summary>
    public string Folder { get; init; } = "/var/lib/fedmesh/data";

    /// <summary>10 % held out: enough examples to estimate the loss that the trust check compares deltas with.</summary>
    public double HoldoutFraction { get; init; } = 0.1;

    /// <summary>Built-in redaction rules (e-mail addresses, phone numbers, …) on: leaking identifiers must be opt-in.</summary>
    public bool RedactionRules { get; init; } = true;

    /// <summary>Extra .NET regular expressions whose matches are redacted; none by default.</summary>
    public IReadOnlyList<string> RedactionPatterns { get; init; } = [];

    /// <summary>JSON fields dropped from each record before training; none by default.</summary>
    public IReadOnlyList<string> DropJsonFields { get; init; } = [];
}
