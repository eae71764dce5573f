using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// Starts node processes inside their namespaces and stops them. A node's processes are found with
/// <c>ip netns pids</c>, so children the node forked are stopped too, and a stale pid is never signalled.
/// </summary>
internal sealed partial class ProcessSupervisor(NamespaceManager namespaces, LabOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// The process is started as <c>/bin/sh -c 'exec "$@" …' LOG ip netns exec NS ARGV…</c>: the script is a
    /// constant and every value travels as its own argv entry, so nothing is parsed by a shell. sh only sets up
    /// the redirections (stdin from /dev/null, stdout and stderr appended to the log) and execs; <c>ip netns exec</c>
    /// enters the namespace and execs too, so the pid returned is the node's own and it outlives netsim.
    /// </summary>
    private const string LaunchScript = "exec \"$@\" </dev/null >>\"$0\" 2>&1";

    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Starts <paramref name="argv"/> in <paramref name="nodeNamespace"/> with output appended to <paramref name="logPath"/>.</summary>
    public int Start(string nodeNamespace, IReadOnlyList<string> argv, string logPath, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (string argument in new[] { "-c", LaunchScript, logPath, "ip", "netns", "exec", nodeNamespace }.Concat(argv))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(info) ?? throw new LabException($"starting {CommandRunner.Format(argv[0], argv.Skip(1))} in {nodeNamespace} returned no process");
            return process.Id;
        }
        catch (Win32Exception ex)
        {
            throw new LabException($"cannot start /bin/sh for {nodeNamespace}: {ex.Message}", ex);
        }
    }

    /// <summary>Live (non-zombie) pids inside the namespace.</summary>
    public async Task<IReadOnlyList<int>> RunningAsync(string nodeNamespace, CancellationToken cancellationToken) =>
        (await namespaces.PidsAsync(nodeNamespace, cancellationToken).ConfigureAwait(false)).Where(IsAlive).ToList();

    /// <summary>
    /// Stops every process in the namespace: SIGTERM, then SIGKILL for what is left after
    /// <see cref="LabOptions.StopTimeout"/>. Returns the pids that were signalled.
    /// </summary>
    public async Task<IReadOnlyList<int>> StopAllAsync(string nodeNamespace, CancellationToken cancellationToken)
    {
        IReadOnlyList<int> pids = await RunningAsync(nodeNamespace, cancellationToken).ConfigureAwait(false);
        if (pids.Count == 0)
        {
            return pids;
        }

        foreach (int pid in pids)
        {
            Signal(pid, SigTerm);
        }

        long deadline = time.GetTimestamp() + (long)(options.StopTimeout.TotalSeconds * time.TimestampFrequency);
        while (pids.Any(IsAlive) && time.GetTimestamp() < deadline)
        {
            await Task.Delay(options.ExitPollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        foreach (int pid in pids)
        {
            bool killed = IsAlive(pid);
            if (killed)
            {
                Signal(pid, SigKill);
            }

            Log.ProcessStopped(logger, pid, nodeNamespace, killed ? "SIGKILL after timeout" : "SIGTERM");
        }

        // Children forked after the first listing (or a process that ignored SIGTERM's group) are caught here.
        foreach (int pid in await RunningAsync(nodeNamespace, cancellationToken).ConfigureAwait(false))
        {
            Signal(pid, SigKill);
        }

        return pids;
    }

    /// <summary>
    /// True when /proc/PID exists and the process is not a zombie (state 'Z' or 'X' in /proc/PID/stat; a killed
    /// child of this process stays a zombie until reaped, and is dead for the lab's purposes).
    /// </summary>
    internal static bool IsAlive(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return ParseState(stat) is not ('Z' or 'X' or '\0');
    }

    /// <summary>The state letter of a /proc/PID/stat line: the field after the ")" that closes the command name.</summary>
    internal static char ParseState(string stat)
    {
        int close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '\0';
    }

    private static void Signal(int pid, int signal)
    {
        // ESRCH (already gone) is the outcome we want; other errors would be a bug in the lab, not a node fault.
        _ = Kill(pid, signal);
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
