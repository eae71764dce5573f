using FedMesh.NetSim.Hosting;

namespace FedMesh.NetSim.Hosting.Internal;

/// <summary>
/// Makes a process run every task on ONE thread-pool thread, in a deterministic order, on virtual time.
/// <para>
/// The runtime is ordinary async .NET code: <c>Task.Run</c>, <c>ConfigureAwait(false)</c>, channels and
/// TaskCompletionSources that continue asynchronously all end up on the thread pool, whatever scheduler or
/// synchronization context the caller installs (a <c>ConfigureAwait(false)</c> continuation refuses to run inline
/// under a custom scheduler and goes to the pool). So instead of keeping work off the pool, the pool itself is made
/// the deterministic scheduler: one worker thread (min = max = 1) runs work items in an order fixed by the order they
/// were queued (its own items LIFO from its local queue, then the global FIFO queue), and nothing else queues work
/// (virtual time has no timer thread; in-memory pipes have no I/O threads).
/// </para>
/// <para>
/// Time moves only at quiescence: a driver work item re-queues itself at the tail of the global queue; when it runs
/// and no other work item is pending, every consequence of the last event has settled, and it fires the next virtual
/// timer in (time, sequence) order. The process must not need a second pool thread (no synchronous waits on tasks
/// from pool threads), which is why only netsim's own process switches to this mode.
/// </para>
/// </summary>
internal static class SerialExecutor
{
    /// <summary>Restricts the thread pool to one worker (and one I/O completion thread). Process-wide, irreversible
    /// in practice: netsim calls it only for runs of the real runtime.</summary>
    /// <exception cref="InvalidOperationException">The runtime refused the limits.</exception>
    public static void Enforce()
    {
        if (!ThreadPool.SetMinThreads(1, 1) || !ThreadPool.SetMaxThreads(1, 1))
        {
            throw new InvalidOperationException("could not restrict the thread pool to one thread (deterministic runtime hosting needs it)");
        }
    }

    /// <summary>
    /// Fires <paramref name="clock"/>'s timers one at a time, each only when the pool is idle, until
    /// <paramref name="done"/> holds (checked at quiescence). Fails when virtual time passes
    /// <paramref name="limit"/> or nothing is left to fire before <paramref name="done"/> holds (a stalled run).
    /// </summary>
    public static Task DriveAsync(VirtualClock clock, Func<bool> done, TimeSpan limit)
    {
        var driver = new Driver(clock, done, limit);
        driver.Requeue();
        return driver.Finished.Task;
    }

    /// <summary>The driver work item. One instance re-queues itself (an <see cref="IThreadPoolWorkItem"/>: no delegate
    /// and no queue wrapper allocated per step; a run of 1,000 nodes takes millions of steps).</summary>
    private sealed class Driver(VirtualClock clock, Func<bool> done, TimeSpan limit) : IThreadPoolWorkItem
    {
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Requeue() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

        public void Execute()
        {
            try
            {
                if (ThreadPool.PendingWorkItemCount > 0)
                {
                    Requeue();
                    return;
                }

                if (done())
                {
                    Finished.TrySetResult();
                    return;
                }

                if (clock.NextEventAt is not { } next)
                {
                    Finished.TrySetException(new InvalidOperationException($"the run stalled at t={clock.Elapsed.TotalSeconds:F3} s: nothing scheduled and not done"));
                    return;
                }

                if (next > limit)
                {
                    Finished.TrySetException(new TimeoutException($"the run did not finish within {limit.TotalSeconds:F0} s of virtual time"));
                    return;
                }

                clock.RunNext();
                Requeue();
            }
            catch (Exception ex)
            {
                Finished.TrySetException(ex);
            }
        }
    }
}
