using System.CommandLine;
using FedMesh.Node.Audit;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Cli;

/// <summary><c>fedmesh audit verify [--file F | --state-dir D | --config F]</c>: checks an audit log's hash chain.</summary>
public static class AuditCommand
{
    /// <summary>The chain is intact.</summary>
    public const int ExitIntact = 0;

    /// <summary>The chain is broken, its last line is torn, or it is shorter than its anchor (lines cut off).</summary>
    public const int ExitBroken = 1;

    /// <summary>Bad usage or the file cannot be read.</summary>
    public const int ExitUsageOrIo = 2;

    public static Command Create()
    {
        // Arity 0..1 and lenient tokens: usage mistakes reach Run, which answers with exit code 2, instead of the
        // parser's generic exit code 1, which here means "broken chain".
        var file = new Option<string?>("--file") { Description = "Audit log file to verify.", Arity = ArgumentArity.ZeroOrOne };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = NodeLocator.StateDirHelp,
            Arity = ArgumentArity.ZeroOrOne,
        };
        var config = new Option<string?>("--config", "-c")
        {
            Description = NodeLocator.ConfigHelp,
            Arity = ArgumentArity.ZeroOrOne,
        };
        var verify = new Command("verify", "Check the audit log's hash chain; exit 0 intact, 1 broken, 2 usage or I/O error.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        verify.Options.Add(file);
        verify.Options.Add(stateDir);
        verify.Options.Add(config);
        verify.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            if (parse.UnmatchedTokens.Count > 0)
            {
                error.WriteLine($"fedmesh audit verify: unexpected argument '{parse.UnmatchedTokens[0]}'");
                return ExitUsageOrIo;
            }

            foreach (Option option in new Option[] { file, stateDir, config })
            {
                if (parse.GetResult(option) is { } given && given.Tokens.Count == 0)
                {
                    error.WriteLine($"fedmesh audit verify: {option.Name} needs a value");
                    return ExitUsageOrIo;
                }
            }

            return Run(parse.GetValue(file), parse.GetValue(stateDir), parse.GetValue(config), output, error);
        });

        var audit = new Command("audit", "Audit log tools.");
        audit.Subcommands.Add(verify);
        return audit;
    }

    /// <summary>Verifies one log and prints the outcome; returns the exit code.</summary>
    /// <param name="file">The log named with --file; otherwise the node's (<see cref="NodeLocator"/>: --state-dir, --config, …).</param>
    public static int Run(string? file, string? stateDir, string? config, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (file is not null && (stateDir is not null || config is not null))
        {
            error.WriteLine("fedmesh audit verify: give either --file or --state-dir/--config, not both");
            return ExitUsageOrIo;
        }

        string path;
        if (file is not null)
        {
            path = file;
        }
        else if (NodeLocator.TryResolve(config, stateDir, requireConfig: false, requireState: true, out NodeLocation? node, out string problem))
        {
            path = node.State.AuditLog;
        }
        else
        {
            error.WriteLine($"fedmesh audit verify: {problem}");
            return ExitUsageOrIo;
        }

        // A log that is not there is not "intact": say which file was looked for.
        if (!File.Exists(path))
        {
            error.WriteLine($"fedmesh audit verify: {Path.GetFullPath(path)} does not exist");
            return ExitUsageOrIo;
        }

        AuditVerifyResult result;
        try
        {
            result = AuditVerifier.VerifyFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"fedmesh audit verify: cannot read {path}: {ex.Message}");
            return ExitUsageOrIo;
        }

        if (result.Break is { } broken)
        {
            output.WriteLine($"{path}: {(broken.IsTruncation ? "TRUNCATED" : "BROKEN")} at line {broken.Line}: {broken.Problem}");
            output.WriteLine($"{result.Entries} entries before it are intact; last intact hash {result.LastHash}");
            return ExitBroken;
        }

        output.WriteLine($"{path}: intact, {result.Entries} entries, last hash {result.LastHash}");
        return ExitIntact;
    }
}
