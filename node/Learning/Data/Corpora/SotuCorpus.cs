using FedMesh.Node.Data.Corpora.Internal;

namespace FedMesh.Node.Data.Corpora;

/// <summary>
/// The shipped US State of the Union corpus (node/datasets/sotu.jsonl.gz, copied to the output as
/// datasets/sotu.jsonl.gz; public domain, see datasets/README.md): the default demo data of a federation, one
/// address per record <c>{"year", "name", "party", "text"}</c>. It is public, so it is not redacted.
/// </summary>
public static class SotuCorpus
{
    public const string ShippedFileName = "sotu.jsonl.gz";

    /// <summary>Full path of the shipped file next to the program.</summary>
    public static string ShippedPath => ShippedJsonl.ShippedPath(ShippedFileName);

    /// <summary>All addresses of the shipped file, sorted by year then president.</summary>
    /// <exception cref="FileNotFoundException">The file is missing from the installation.</exception>
    /// <exception cref="InvalidDataException">The file is damaged; the message names the line.</exception>
    public static IReadOnlyList<SotuAddress> ReadShipped() => Read(ShippedPath);

    /// <summary>All addresses of a SOTU .jsonl.gz file, sorted by year then president.</summary>
    public static IReadOnlyList<SotuAddress> Read(string path) => Sort(ShippedJsonl.Read(path, Parse));

    /// <summary>All addresses of a gzip-compressed SOTU JSON Lines stream, sorted by year then president.</summary>
    public static IReadOnlyList<SotuAddress> Read(Stream gzip, string name = "sotu") =>
        Sort(ShippedJsonl.Read(gzip, name, Parse));

    private static SotuAddress Parse(System.Text.Json.JsonElement record) => new(
        record.GetProperty("year").GetInt32(),
        ShippedJsonl.String(record, "name"),
        ShippedJsonl.String(record, "party"),
        ShippedJsonl.String(record, "text"));

    private static SotuAddress[] Sort(List<SotuAddress> addresses) =>
        addresses.OrderBy(a => a.Year).ThenBy(a => a.President, StringComparer.Ordinal).ToArray();
}
