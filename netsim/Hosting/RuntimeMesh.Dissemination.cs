using FedMesh.NetSim.Hosting.Internal;
using FedMesh.NetSim.Scenarios;
using FedMesh.Node.Gossip;

namespace FedMesh.NetSim.Hosting;

/// <summary>How one node's release spread through a running real-runtime mesh (<c>netsim bench dissemination</c>).</summary>
/// <param name="Mode">The gossip mode the nodes ran (the daemon's gossip.mode).</param>
/// <param name="ReleaseRound">The origin's round whose release was followed.</param>
/// <param name="Reached">Nodes holding it at the end of the run, the origin included.</param>
/// <param name="SecondsTo99">Virtual seconds from the release until 99 % of the nodes held it; null if they never did.</param>
/// <param name="SecondsToAll">The same until every node held it.</param>
/// <param name="RoundsToAll">Round periods from the release until every node held it (1 = within the release's own period).</param>
/// <param name="MaxHops">Most relays (flood) or merges (neighbours) between the origin and a node that held it.</param>
/// <param name="BytesPerNodeRound">Wire bytes (sent + received, frames with header and tag, handshakes included) per node
/// per round over the whole run: what the mode costs while everyone publishes every round.</param>
public sealed record DisseminationResult(
    string Mode, int Nodes, int Rounds, long ReleaseRound, int Reached, double? SecondsTo99, double? SecondsToAll, int? RoundsToAll, int MaxHops, double BytesPerNodeRound);

public sealed partial class RuntimeMesh
{
    /// <summary>Set for a dissemination run: follows the origin's release (Started wires it to each process).</summary>
    private DisseminationTracker? _probe;

    /// <summary>
    /// Runs <paramref name="scenario"/> (every node publishing every round, as in <c>netsim run</c>) and follows node
    /// <paramref name="origin"/>'s release of round <paramref name="fromRound"/> (its first from then on): when each node
    /// first holds it (<see cref="DisseminationTracker"/>).
    /// Same thread-pool restriction and determinism as <see cref="Run"/>.
    /// </summary>
    public static DisseminationResult RunDissemination(Scenario scenario, int fromRound, int origin = 0)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentOutOfRangeException.ThrowIfNegative(origin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(origin, scenario.Nodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(fromRound, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromRound, scenario.Rounds);
        SerialExecutor.Enforce();
        return Task.Run(async () =>
        {
            await using var mesh = new RuntimeMesh(scenario);
            var probe = new DisseminationTracker(origin, fromRound, [.. mesh._identities.Select(i => i.PeerId)], mesh.Clock);
            mesh._probe = probe;
            RuntimeMeshResult result = await mesh.RunAsync().ConfigureAwait(false);
            return Disseminated(scenario, probe, result);
        }).GetAwaiter().GetResult();
    }

    /// <summary>Wires a new process of <paramref name="node"/> to the dissemination probe, if this run has one.</summary>
    private void Follow(int node, FedMesh.Node.Hosting.NodeRuntime runtime)
    {
        if (_probe is { } probe)
        {
            runtime.RoundCompleted += report => probe.RoundCompleted(node, report);
            runtime.DeltaArrived += (delta, from) => probe.DeltaArrived(node, delta, from);
        }
    }

    private static DisseminationResult Disseminated(Scenario scenario, DisseminationTracker probe, RuntimeMeshResult result)
    {
        int n = scenario.Nodes;
        TimeSpan published = probe.PublishedAt ?? TimeSpan.Zero;
        TimeSpan[] held = [.. probe.HeldAt.Where(t => t is not null).Select(t => t!.Value - published).Order()];
        int target99 = (int)Math.Ceiling(0.99 * n);
        double? to99 = held.Length >= target99 ? held[target99 - 1].TotalSeconds : null;
        double? toAll = held.Length == n ? held[^1].TotalSeconds : null;
        int? roundsToAll = toAll is { } s ? Math.Max(1, (int)Math.Ceiling(s / scenario.Period.TotalSeconds)) : null;
        int maxHops = Enumerable.Range(0, n).Where(i => probe.HeldAt[i] is not null).Select(i => probe.Hops[i]).DefaultIfEmpty(0).Max();
        double bytes = result.PerNode.Sum(x => (double)(x.BytesIn + x.BytesOut)) / ((double)n * scenario.Rounds);
        return new DisseminationResult(GossipModes.Name(scenario.Gossip.Mode), n, scenario.Rounds, probe.ReleaseRound ?? 0, probe.Holding, to99, toAll, roundsToAll, maxHops, bytes);
    }
}
