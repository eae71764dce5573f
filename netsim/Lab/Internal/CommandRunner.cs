using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// Runs <c>ip</c>, <c>nft</c> and <c>tc</c> with an argument list (never through a shell, so names and values cannot
/// inject commands), with a time limit, and turns failures into <see cref="LabException"/>s that quote the command
/// and its stderr.
/// </summary>
internal sealed class CommandRunner(TimeSpan timeout, ILogger logger)
{
    /// <summary>
    /// 64 KiB of output kept per stream: the longest output read is <c>ip netns list</c> or <c>tc qdisc show</c>
    /// of one device, a few hundred bytes; the cap bounds memory should a tool misbehave.
    /// </summary>
    private const int MaxOutputChars = 64 * 1024;

    /// <summary>Runs the command and throws unless it exits with 0.</summary>
    public async Task<CommandResult> CheckedAsync(string file, IReadOnlyList<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        CommandResult result = await RunAsync(file, arguments, input, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw new LabException(result.Describe());
    }

    /// <summary>Runs the command and returns its result whatever the exit code; throws only if it cannot run or hangs.</summary>
    public async Task<CommandResult> RunAsync(string file, IReadOnlyList<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string commandLine = Format(file, arguments);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Log.CommandRun(logger, commandLine);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new LabException($"cannot run `{commandLine}`: {ex.Message} (is {file} installed? the lab needs iproute2 and nftables)", ex);
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            Task<string> stdout = ReadBoundedAsync(process.StandardOutput, timeoutSource.Token);
            Task<string> stderr = ReadBoundedAsync(process.StandardError, timeoutSource.Token);
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), timeoutSource.Token).ConfigureAwait(false);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            return new CommandResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new LabException($"`{commandLine}` did not finish within {timeout.TotalSeconds:0.#} s and was killed");
        }
    }

    /// <summary>The command as a person would type it, for messages (arguments with spaces quoted).</summary>
    internal static string Format(string file, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { file }.Concat(arguments).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var buffer = new char[4096];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            // Keep draining past the cap so the child never blocks on a full pipe.
            if (text.Length < MaxOutputChars)
            {
                text.Append(buffer, 0, Math.Min(read, MaxOutputChars - text.Length));
            }
        }

        return text.ToString();
    }
}
