namespace FedMesh.Node.Data.Redaction;

/// <summary>
/// A site-specific redaction: every match of <see cref="Pattern"/> (.NET regex syntax, culture-invariant) is replaced
/// by <see cref="Token"/>. <see cref="Name"/> labels the rule in reports and errors.
/// </summary>
public sealed record CustomRedactionRule(string Name, string Pattern, string Token);
