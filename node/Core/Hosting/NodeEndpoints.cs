using System.Text.Json;
using System.Text.Json.Serialization;
using FedMesh.Protocol.IO;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The addresses a running node actually bound, written to <c>&lt;state_dir&gt;/endpoints.json</c> at start: with
/// port 0 in the configuration (any free port) this is how `fedmesh status`, tests and the demo find the node.
/// Written atomically; it describes the last start (check <see cref="Pid"/> if it matters whether it still runs).
/// </summary>
public sealed record NodeEndpoints(
    [property: JsonPropertyName("peer_id")] string PeerId,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("listen")] string Listen,
    [property: JsonPropertyName("admin")] string? Admin,
    [property: JsonPropertyName("metrics")] string? Metrics)
{
    public const string FileName = "endpoints.json";

    /// <summary>Largest endpoints file read back (it holds a few short strings).</summary>
    private const int MaxBytes = 4096;

    public void Write(string path) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this), Storage.StateDirectory.FileMode);

    /// <summary>The file's content, or null when it is absent, too large or not an endpoints file.</summary>
    public static NodeEndpoints? TryRead(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes)
            {
                return null;
            }

            return JsonSerializer.Deserialize<NodeEndpoints>(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
