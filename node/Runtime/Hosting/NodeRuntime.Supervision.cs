namespace FedMesh.Node.Hosting;

/// <summary>
/// Supervision of the node's long-running loops (round, accept, dial, tick). Each loop handles the faults it
/// expects (a bad peer, a bad delta, a refused dial) itself; anything else that escapes one means the node can no
/// longer do its job, and a loop that died quietly left a node that looked alive but had stopped learning (issue 11:
/// rounds stuck for good, nothing logged). So an escaped fault is logged with its loop and reason, and the whole node
/// stops: the host exits non-zero (<see cref="NodeRuntime.FaultExitCode"/>) and a supervisor (systemd's
/// <c>Restart=on-failure</c>) restarts it from its checkpoint.
/// </summary>
public sealed partial class NodeRuntime
{
    /// <summary>Exit code of a node stopped by a fault: 70 is EX_SOFTWARE of sysexits.h ("internal software error"),
    /// distinct from configuration (2) and start-up (1) failures, and never a signal.</summary>
    public const int FaultExitCode = 70;

    private NodeFault? _fault;

    /// <summary>Why the node stopped by itself on a fault, or null (running, or stopped normally).</summary>
    public NodeFault? Fault => Volatile.Read(ref _fault);

    /// <summary>Runs <paramref name="loop"/> on the thread pool; a fault that escapes it stops the node.</summary>
    private Task Supervise(string name, Func<Task> loop) => Task.Run(async () =>
    {
        try
        {
            await loop().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: the loop's wait was cancelled.
        }
        catch (Exception ex)
        {
            if (Interlocked.CompareExchange(ref _fault, new NodeFault(name, ex), null) is null)
            {
                Log.LoopFailed(_logger, name, ex.Message, ex);
            }

            // Not awaited: the stop waits for every loop, this one included.
            _ = StopAsync();
        }
    });
}

/// <summary>A loop of the node failed: which one and with what.</summary>
public sealed record NodeFault(string Loop, Exception Exception)
{
    public override string ToString() => $"{Loop} loop failed: {Exception.GetType().Name}: {Exception.Message}";
}
