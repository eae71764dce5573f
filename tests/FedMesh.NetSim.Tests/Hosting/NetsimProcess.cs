using System.Diagnostics;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>Runs the netsim program as its own process: a run restricts its process's thread pool to one thread (the
/// deterministic scheduler), which must not be the test host's.</summary>
internal static class NetsimProcess
{
    /// <summary>Generous: torch runs train real learners, and this machine is shared (load average 20–50).</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(20);

    /// <summary>Runs <c>netsim ARGS</c>, asserts exit 0 (naming its output otherwise) and returns its stdout.</summary>
    /// <param name="environment">Extra environment variables (e.g. the base model cache).</param>
    public static async Task<string> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        (await RunCapturingAsync(environment, args)).Output;

    /// <summary>As <see cref="RunAsync"/>, returning stderr as well.</summary>
    public static async Task<(string Output, string Error)> RunCapturingAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "netsim.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Limit);
        Assert.True(process.ExitCode == 0, $"netsim {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        return (await output, await error);
    }

    /// <summary>Runs <paramref name="body"/> in a fresh temporary directory, deleted afterwards.</summary>
    public static async Task InTempDirectoryAsync(string prefix, Func<string, Task> body)
    {
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        try
        {
            await body(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
