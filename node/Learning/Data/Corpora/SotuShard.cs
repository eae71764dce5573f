using System.Globalization;

namespace FedMesh.Node.Data.Corpora;

/// <summary>The training addresses of one node of a SOTU demo federation.</summary>
public sealed record SotuShard(int NodeIndex, int NodeCount, SotuSplitMode Mode, IReadOnlyList<SotuAddress> Addresses)
{
    public int FirstYear => Addresses.Min(a => a.Year);

    public int LastYear => Addresses.Max(a => a.Year);

    public long Characters => Addresses.Sum(a => (long)a.Text.Length);

    /// <summary>The address texts, as the trainer takes them.</summary>
    public IReadOnlyList<string> Texts => Addresses.Select(a => a.Text).ToArray();

    /// <summary>
    /// For the demo: "node 2/4: 1861–1912, 1.9 M chars" (era), or "node 2/4: IID, 58 addresses 1790–2016, 2.7 M chars".
    /// The node number is 1-based.
    /// </summary>
    public string Describe() => Mode == SotuSplitMode.Era
        ? string.Create(CultureInfo.InvariantCulture,
            $"node {NodeIndex + 1}/{NodeCount}: {FirstYear}–{LastYear}, {CharCount.Format(Characters)}")
        : string.Create(CultureInfo.InvariantCulture,
            $"node {NodeIndex + 1}/{NodeCount}: IID, {Addresses.Count} addresses {FirstYear}–{LastYear}, {CharCount.Format(Characters)}");
}
