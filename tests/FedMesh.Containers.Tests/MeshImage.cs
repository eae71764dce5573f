using System.Diagnostics;
using System.Globalization;

namespace FedMesh.Containers.Tests;

/// <summary>
/// The node image under test: $FEDMESH_TEST_IMAGE when tests/run.sh built it already, else built here with
/// node/deploy/docker/build-image.sh (no registry pull: FROM scratch). Size and build time are reported.
/// </summary>
internal static class MeshImage
{
    public const string Variable = "FEDMESH_TEST_IMAGE";

    private const string Tag = "fedmesh:containers-test";

    public static (string Tag, long SizeBytes, TimeSpan? BuildTime) Resolve()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return (given, Size(given), null);
        }

        string script = Path.Combine(RepositoryRoot(), "node", "deploy", "docker", "build-image.sh");
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo("bash", [script, Tag]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"build-image.sh failed ({process.ExitCode}): {stdout.Result}{stderr.Result}");
        }

        return (Tag, Size(Tag), clock.Elapsed);
    }

    private static long Size(string tag) =>
        long.Parse(DockerHost.Run("image", "inspect", tag, "--format", "{{.Size}}").Trim(), CultureInfo.InvariantCulture);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FedMesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FedMesh.sln not found above " + AppContext.BaseDirectory);
    }
}
