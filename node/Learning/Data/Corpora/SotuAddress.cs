namespace FedMesh.Node.Data.Corpora;

/// <summary>One State of the Union address of the shipped corpus.</summary>
public sealed record SotuAddress(int Year, string President, string Party, string Text)
{
    /// <summary>Unique name of the address ("1961 John F. Kennedy"): two years (1953, 1961) have two addresses.</summary>
    public string Id => $"{Year} {President}";
}
