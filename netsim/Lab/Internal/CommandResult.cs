namespace FedMesh.NetSim.Lab.Internal;

/// <summary>What a finished system command returned.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The error text for a failed command: the command line, its exit code and its stderr.</summary>
    public string Describe() =>
        $"`{CommandLine}` failed with exit code {ExitCode}: {(StandardError.Trim().Length > 0 ? StandardError.Trim() : StandardOutput.Trim())}";
}
