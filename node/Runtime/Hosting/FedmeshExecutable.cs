namespace FedMesh.Node.Hosting;

/// <summary>
/// The one place that finds the <c>fedmesh</c> program (or another program built next to it, such as the test kit's
/// attack host) to start it as a separate process: the demo, the netsim lab and the integration tests all start real
/// daemons this way. A project that references node/Cli gets <c>fedmesh.dll</c> (with its runtimeconfig and deps
/// files) copied into its own output folder, so the program is looked for next to the running assembly.
/// </summary>
public static class FedmeshExecutable
{
    /// <summary>The daemon's assembly name (node/Cli/fedmesh.csproj).</summary>
    public const string Name = "fedmesh";

    /// <summary>
    /// The command line prefix that runs <paramref name="program"/>: <c>[dotnet, "exec", PROGRAM.dll]</c> when the
    /// assembly is there (works without the apphost finding a runtime, e.g. under sudo or in a network namespace), else
    /// <c>[apphost]</c>. Append the program's own arguments.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither the assembly nor the apphost is in <paramref name="directory"/>.</exception>
    public static IReadOnlyList<string> Command(string program = Name, string? directory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        directory ??= AppContext.BaseDirectory;
        string dll = Path.Combine(directory, program + ".dll");
        if (File.Exists(dll))
        {
            return [DotnetHost(), "exec", dll];
        }

        string apphost = Path.Combine(directory, OperatingSystem.IsWindows() ? program + ".exe" : program);
        return File.Exists(apphost)
            ? [apphost]
            : throw new FileNotFoundException($"the {program} program is not next to {directory} (no {program}.dll or apphost); build a project that references it (node/Cli for fedmesh)", dll);
    }

    /// <summary>
    /// The dotnet host: this process when it is one (dotnet test, dotnet exec), else DOTNET_HOST_PATH (set by the
    /// dotnet CLI for the programs it starts), else the host of the runtime this process runs on (its shared framework
    /// folder is DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION), else <c>dotnet</c> from PATH.
    /// </summary>
    public static string DotnetHost()
    {
        string muxer = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), muxer, StringComparison.Ordinal))
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        string? framework = Path.GetDirectoryName(typeof(object).Assembly.Location);
        string? root = framework is null ? null : Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(framework)));
        string? besideRuntime = root is null ? null : Path.Combine(root, muxer);
        return besideRuntime is not null && File.Exists(besideRuntime) ? besideRuntime : muxer;
    }
}
