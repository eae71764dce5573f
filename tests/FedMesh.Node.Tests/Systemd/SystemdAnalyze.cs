using System.Diagnostics;

namespace FedMesh.Node.Tests.Systemd;

/// <summary>Runs systemd-analyze and the repository's unit files.</summary>
internal static class SystemdAnalyze
{
    public static readonly string? Path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "systemd-analyze"))
        .FirstOrDefault(File.Exists);

    /// <summary>The repository's systemd/ folder, found by walking up from the test binary to FedMesh.sln.</summary>
    public static string UnitFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FedMesh.sln")))
            {
                return System.IO.Path.Combine(dir.FullName, "systemd");
            }
        }

        throw new InvalidOperationException("FedMesh.sln not found above " + AppContext.BaseDirectory);
    }

    public static (int Exit, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path!, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Plain text: no colours, no pager, no emoji in the summary line.
            Environment = { ["SYSTEMD_COLORS"] = "0", ["SYSTEMD_PAGER"] = "cat", ["SYSTEMD_EMOJI"] = "0" },
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
