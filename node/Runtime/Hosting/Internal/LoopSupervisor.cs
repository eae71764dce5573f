using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting.Internal;

/// <summary>
/// Runs the node's long-running loops (accept, dial, tick, actor, round, peer book, discovery) and stops the node
/// when one dies. Each loop handles the faults it expects (a bad peer, a bad delta, a refused dial) itself; anything
/// that escapes means the node can no longer do its job, and a loop that died quietly left a node that looked alive
/// but had stopped learning (issue 11). So the first escaped fault is recorded with its loop and reason, logged as
/// Critical, and the node is stopped: the host exits with <see cref="NodeRuntime.FaultExitCode"/>.
/// </summary>
internal sealed class LoopSupervisor(ILogger logger, Func<Task> stopNode, CancellationToken stopping)
{
    private readonly List<Task> _loops = [];
    private readonly Lock _lock = new();
    private NodeFault? _fault;

    /// <summary>The first loop fault, or null.</summary>
    public NodeFault? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Test seam: called with the loop's name at the top of every iteration of every supervised loop; a test throws
    /// from it to kill that loop. Null in every production path (nothing outside the test assembly can set it).
    /// </summary>
    internal Action<string>? FaultInjection { get; set; }

    /// <summary>Every loop started so far (stopping waits for them).</summary>
    public Task[] Loops
    {
        get
        {
            lock (_lock)
            {
                return [.. _loops];
            }
        }
    }

    /// <summary>Marks one iteration of <paramref name="loop"/> (see <see cref="FaultInjection"/>).</summary>
    public void Iteration(string loop) => FaultInjection?.Invoke(loop);

    /// <summary>Starts <paramref name="loop"/> on the current task scheduler (the thread pool in the daemon, the
    /// simulator's own scheduler there); a fault that escapes it stops the node.</summary>
    public void Start(string name, Func<CancellationToken, Task> loop)
    {
        Task task = Task.Factory.StartNew(() => RunAsync(name, loop), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current).Unwrap();
        lock (_lock)
        {
            _loops.Add(task);
        }
    }

    private async Task RunAsync(string name, Func<CancellationToken, Task> loop)
    {
        try
        {
            await loop(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the loop's wait was cancelled.
        }
        catch (Exception ex)
        {
            if (Interlocked.CompareExchange(ref _fault, new NodeFault(name, ex), null) is null)
            {
                Log.LoopFailed(logger, name, ex.Message, ex);
            }

            // Not awaited: the stop waits for every loop, this one included.
            _ = stopNode();
        }
    }
}
