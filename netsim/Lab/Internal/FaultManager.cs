using Microsoft.Extensions.Logging;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// Makes the namespaces match the faults recorded in the lab state: the nft table in the node namespace (loss),
/// the root qdisc on both ends of the node's veth (rate, delay), so each acts in both directions, and the nft
/// bridge table in the hub (partition). Applying is declarative and idempotent.
/// </summary>
internal sealed class FaultManager(CommandRunner runner, ILogger logger)
{
    private const string Tc = "tc";

    /// <summary>
    /// Applies node <paramref name="index"/>'s faults. Returns null on success, or tc's message when the faults need
    /// netem and this kernel has no sch_netem (nothing of the shaping is changed then); other failures throw.
    /// </summary>
    public async Task<string?> ApplyAsync(LabState state, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        LabNode node = state.Node(index);
        string? netemProblem = await ShapeAsync(node.Namespace, LabNames.NodeInterface, node.Faults, cancellationToken).ConfigureAwait(false);
        if (netemProblem is not null)
        {
            return netemProblem;
        }

        await ShapeAsync(state.HubNamespace, LabNames.HubInterface(index), node.Faults, cancellationToken).ConfigureAwait(false);
        await NftAsync(node.Namespace, NftRuleset.RenderNode(state, index), cancellationToken).ConfigureAwait(false);
        Log.FaultsApplied(logger, index, Describe(node.Faults));
        return null;
    }

    /// <summary>Applies the lab's partition (or its absence) on the hub's bridge.</summary>
    public Task ApplyPartitionAsync(LabState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return NftAsync(state.HubNamespace, NftRuleset.RenderHub(state), cancellationToken);
    }

    /// <summary>The root qdisc of one device, as tc prints it (e.g. "qdisc tbf 8001: root refcnt 2 rate 1Mbit …").</summary>
    public async Task<string> ShowQdiscAsync(string @namespace, string device, CancellationToken cancellationToken) =>
        (await runner.CheckedAsync(Tc, ["-n", @namespace, "qdisc", "show", "dev", device, "root"], cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();

    /// <summary>Short human description of a node's faults, e.g. "group 1, loss 20%, rate 1000000 bit/s".</summary>
    public static string Describe(LabNodeFaults faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        var parts = new List<string>();
        if (faults.PartitionGroup is { } group)
        {
            parts.Add($"partition group {group}");
        }

        if (faults.LossPercent > 0)
        {
            parts.Add($"loss {faults.LossPercent}%");
        }

        if (faults.RateBitsPerSecond > 0)
        {
            parts.Add($"rate {faults.RateBitsPerSecond} bit/s");
        }

        if (faults.DelayMs > 0)
        {
            parts.Add($"delay {faults.DelayMs} ms");
        }

        if (faults.Killed)
        {
            parts.Add("killed");
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private Task NftAsync(string @namespace, string script, CancellationToken cancellationToken) =>
        runner.CheckedAsync("ip", ["netns", "exec", @namespace, "nft", "-f", "-"], script, cancellationToken);

    private async Task<string?> ShapeAsync(string @namespace, string device, LabNodeFaults faults, CancellationToken cancellationToken)
    {
        IReadOnlyList<string>? qdisc = TrafficShaping.RootQdisc(faults);
        if (qdisc is null)
        {
            // Deleting the default root qdisc is an error ("handle of zero"), so delete only one the lab set.
            string current = await ShowQdiscAsync(@namespace, device, cancellationToken).ConfigureAwait(false);
            if (current.Contains(" tbf ", StringComparison.Ordinal) || current.Contains(" netem ", StringComparison.Ordinal))
            {
                await runner.CheckedAsync(Tc, ["-n", @namespace, "qdisc", "del", "dev", device, "root"], cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        CommandResult result = await runner.RunAsync(Tc, [.. new[] { "-n", @namespace, "qdisc", "replace", "dev", device, "root" }, .. qdisc], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return null;
        }

        if (qdisc[0] == "netem" && TrafficShaping.IsNetemMissing(result.StandardError))
        {
            Log.NetemMissing(logger, result.StandardError.Trim());
            return result.StandardError.Trim();
        }

        throw new LabException(result.Describe());
    }
}
