using System.Diagnostics;

namespace FedMesh.Containers.Tests;

/// <summary>
/// The Docker daemon the suite uses (DOCKER_HOST, as Testcontainers reads it) and the docker CLI for what Testcontainers
/// has no call for (network disconnect/connect, kill). <see cref="SkipReason"/> says why the suite cannot run here.
/// </summary>
internal static class DockerHost
{
    /// <summary>How the suite is run for real: tests/run.sh as root starts a private dockerd in a network namespace.</summary>
    private const string HowToRun = "run tests/run.sh as root (it installs docker.io, starts tests/docker/dockerd-netns.sh and runs this suite inside that namespace)";

    private static readonly Lazy<string?> Reason = new(FindSkipReason);

    /// <summary>Null when a daemon answers; else why the container suite is skipped.</summary>
    public static string? SkipReason => Reason.Value;

    public static string Cli { get; } = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "docker"))
        .FirstOrDefault(File.Exists) ?? "docker";

    /// <summary>Runs the docker CLI; throws with its output when it fails.</summary>
    public static string Run(params string[] args)
    {
        (int exit, string output) = TryRun(TimeSpan.FromMinutes(10), args);
        return exit == 0 ? output : throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {exit}: {output}");
    }

    public static (int Exit, string Output) TryRun(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(Cli, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? FindSkipReason()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return $"DOCKER_HOST is not set, so no Docker daemon was prepared for this suite; {HowToRun}";
        }

        if (!File.Exists(Cli))
        {
            return $"the docker CLI is not installed; {HowToRun}";
        }

        (int exit, string output) = TryRun(TimeSpan.FromSeconds(30), "version", "--format", "{{.Server.Version}}");
        return exit == 0 ? null : $"the Docker daemon at {Environment.GetEnvironmentVariable("DOCKER_HOST")} does not answer ({output.Trim()}); {HowToRun}";
    }
}
