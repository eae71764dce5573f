using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Lab;

/// <summary>Faults: partition, loss, bandwidth, delay, kill/restart, and heal.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>
    /// 60 s of delay at most: far beyond any WAN (a geostationary hop is ~0.3 s); larger values are typos and
    /// would stall every TCP connection of the node.
    /// </summary>
    public const int MaxDelayMs = 60_000;

    /// <summary>Splits the nodes into groups (<see cref="PartitionGroups"/> syntax); the hub's bridge drops every frame between groups.</summary>
    public Task<LabState> PartitionAsync(string lab, string groups, CancellationToken cancellationToken = default) =>
        UpdateAsync(lab, async (state, token) =>
        {
            IReadOnlyList<int> groupOf = PartitionGroups.Parse(groups, state.Nodes.Count);
            state = state with { Nodes = state.Nodes.Select(n => n with { Faults = n.Faults with { PartitionGroup = groupOf[n.Index] } }).ToList() };
            await _faults.ApplyPartitionAsync(state, token).ConfigureAwait(false);
            return state;
        }, cancellationToken);

    /// <summary>Drops <paramref name="percent"/>% of the packets entering and of those leaving node <paramref name="index"/>.</summary>
    public Task<LabState> LossAsync(string lab, int index, int percent, CancellationToken cancellationToken = default)
    {
        if (percent is < 0 or > 100)
        {
            throw new LabException($"--percent must be between 0 and 100, got {percent}");
        }

        return UpdateNodeAsync(lab, index, f => f with { LossPercent = percent }, cancellationToken);
    }

    /// <summary>Limits node <paramref name="index"/>'s link to <paramref name="rate"/> (tc syntax, e.g. "1mbit") each way.</summary>
    public Task<LabState> BandwidthAsync(string lab, int index, string rate, CancellationToken cancellationToken = default)
    {
        long bits = TrafficShaping.ParseRate(rate);
        return UpdateNodeAsync(lab, index, f => f with { RateBitsPerSecond = bits }, cancellationToken);
    }

    /// <summary>
    /// Adds <paramref name="ms"/> of delay each way on node <paramref name="index"/>'s link with netem. Returns null
    /// when applied, or a warning when this kernel has no sch_netem: then nothing is changed and the lab goes on.
    /// </summary>
    public async Task<string?> DelayAsync(string lab, int index, int ms, CancellationToken cancellationToken = default)
    {
        if (ms is < 1 or > MaxDelayMs)
        {
            throw new LabException($"--ms must be between 1 and {MaxDelayMs}, got {ms}");
        }

        string? warning = null;
        await UpdateAsync(lab, async (state, token) =>
        {
            LabNode node = state.Node(index);
            LabState next = state.With(node with { Faults = node.Faults with { DelayMs = ms } });
            string? netemProblem = await _faults.ApplyAsync(next, index, token).ConfigureAwait(false);
            if (netemProblem is null)
            {
                return next;
            }

            warning = $"this kernel has no sch_netem (tc said: {netemProblem}); delay is not applied, the lab goes on without it (partition, loss, bandwidth and kill still work)";
            return state;
        }, cancellationToken).ConfigureAwait(false);
        return warning;
    }

    /// <summary>Stops node <paramref name="index"/>'s processes (SIGTERM, then SIGKILL); <c>restart</c> or <c>heal</c> starts it again.</summary>
    public Task<LabState> KillAsync(string lab, int index, CancellationToken cancellationToken = default) =>
        UpdateAsync(lab, async (state, token) =>
        {
            LabNode node = state.Node(index);
            await _processes.StopAllAsync(node.Namespace, token).ConfigureAwait(false);
            return state.With(node with { Faults = node.Faults with { Killed = true } });
        }, cancellationToken);

    /// <summary>Stops node <paramref name="index"/> if it runs and starts its recorded command line again.</summary>
    public Task<LabState> RestartAsync(string lab, int index, CancellationToken cancellationToken = default) =>
        UpdateAsync(lab, (state, token) => RestartNodeAsync(state, state.Node(index), token), cancellationToken);

    /// <summary>Removes every fault: clears partitions, loss, shaping and delay, and restarts killed nodes.</summary>
    public Task<LabState> HealAsync(string lab, CancellationToken cancellationToken = default) =>
        UpdateAsync(lab, async (state, token) =>
        {
            LabState healed = state with { Nodes = state.Nodes.Select(n => n with { Faults = LabNodeFaults.None }).ToList() };
            await _faults.ApplyPartitionAsync(healed, token).ConfigureAwait(false);
            foreach (LabNode node in healed.Nodes)
            {
                await ApplyAsync(healed, node.Index, token).ConfigureAwait(false);
            }

            // Recorded before the restarts, so a node that fails to restart leaves a state that matches the network.
            Store.Save(healed);
            foreach (LabNode killed in state.Nodes.Where(n => n.Faults.Killed))
            {
                healed = await RestartNodeAsync(healed, healed.Node(killed.Index), token).ConfigureAwait(false);
                Store.Save(healed);
            }

            return healed;
        }, cancellationToken);

    private async Task<LabState> RestartNodeAsync(LabState state, LabNode node, CancellationToken cancellationToken)
    {
        await _processes.StopAllAsync(node.Namespace, cancellationToken).ConfigureAwait(false);
        LabNode started = StartNode(node with { Faults = node.Faults with { Killed = false } });
        await ExpectRunningAsync(state, [started], cancellationToken).ConfigureAwait(false);
        return state.With(started);
    }

    private Task<LabState> UpdateNodeAsync(string lab, int index, Func<LabNodeFaults, LabNodeFaults> change, CancellationToken cancellationToken) =>
        UpdateAsync(lab, async (state, token) =>
        {
            LabNode node = state.Node(index);
            LabState next = state.With(node with { Faults = change(node.Faults) });
            await ApplyAsync(next, index, token).ConfigureAwait(false);
            return next;
        }, cancellationToken);

    private async Task ApplyAsync(LabState state, int index, CancellationToken cancellationToken)
    {
        // A recorded delay can only exist on a kernel with netem, so a netem problem here is unexpected.
        if (await _faults.ApplyAsync(state, index, cancellationToken).ConfigureAwait(false) is { } netemProblem)
        {
            throw new LabException($"node {index}: {netemProblem}");
        }
    }

    /// <summary>Loads the state under the lab's lock, applies <paramref name="change"/> and saves the result.</summary>
    private async Task<LabState> UpdateAsync(string lab, Func<LabState, CancellationToken, Task<LabState>> change, CancellationToken cancellationToken)
    {
        LabNames.Validate(lab);
        using LabLock _ = LabLock.Acquire(Store, lab);
        LabState state = Store.Load(lab);
        LabState next = await change(state, cancellationToken).ConfigureAwait(false);
        Store.Save(next);
        return next;
    }
}
