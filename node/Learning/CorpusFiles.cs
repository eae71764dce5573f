using FedMesh.Node.Learning.Internal;

namespace FedMesh.Node.Learning;

/// <summary>The shipped gzip JSON-lines corpora (datasets/*.jsonl.gz next to the executable).</summary>
public static class CorpusFiles
{
    /// <summary>Public-domain Moby-Dick, one chapter per line: the default pretraining corpus.</summary>
    public static string MobyDick => Path.Combine(AppContext.BaseDirectory, "datasets", "moby-dick.jsonl.gz");

    /// <summary>The "text" field of every line; bounded (see <see cref="JsonlGzCorpus"/>).</summary>
    public static IReadOnlyList<string> ReadTexts(string path) => JsonlGzCorpus.ReadTexts(path);
}
