using FedMesh.Node.Data.Corpora.Internal;

namespace FedMesh.Node.Data.Corpora;

/// <summary>One chapter of the shipped Moby-Dick corpus; <see cref="Chapter"/> is "1".."135" or a named part ("Epilogue").</summary>
public sealed record MobyDickChapter(string Chapter, string Title, string Text);

/// <summary>
/// The shipped text of Melville's <i>Moby-Dick</i> (node/datasets/moby-dick.jsonl.gz, public domain): general
/// English for pretraining the shared base model or for out-of-domain checks, one chapter per record
/// <c>{"chapter", "title", "text"}</c>, in file order.
/// </summary>
public static class MobyDickCorpus
{
    public const string ShippedFileName = "moby-dick.jsonl.gz";

    public static string ShippedPath => ShippedJsonl.ShippedPath(ShippedFileName);

    /// <exception cref="FileNotFoundException">The file is missing from the installation.</exception>
    /// <exception cref="InvalidDataException">The file is damaged; the message names the line.</exception>
    public static IReadOnlyList<MobyDickChapter> ReadShipped() => Read(ShippedPath);

    public static IReadOnlyList<MobyDickChapter> Read(string path) => ShippedJsonl.Read(path, Parse);

    /// <summary>The chapter texts, as the trainer takes them.</summary>
    public static IReadOnlyList<string> Texts(IReadOnlyList<MobyDickChapter> chapters) =>
        chapters.Select(c => c.Text).ToArray();

    private static MobyDickChapter Parse(System.Text.Json.JsonElement record) => new(
        ShippedJsonl.String(record, "chapter"),
        ShippedJsonl.String(record, "title"),
        ShippedJsonl.String(record, "text"));
}
