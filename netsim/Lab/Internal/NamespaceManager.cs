using Microsoft.Extensions.Logging;

namespace FedMesh.NetSim.Lab.Internal;

/// <summary>
/// Creates and deletes the lab's network namespaces and links with <c>ip</c>. Every link is created directly inside
/// lab namespaces (<c>ip -n NS link add … peer … netns NS2</c>), so the root namespace's interfaces, routes and
/// firewall are never touched.
/// </summary>
internal sealed class NamespaceManager(CommandRunner runner, ILogger logger)
{
    private const string Ip = "ip";

    /// <summary>Names listed by <c>ip netns list</c> (first word of each line; the rest is an optional "(id: N)").</summary>
    public async Task<IReadOnlySet<string>> ListAsync(CancellationToken cancellationToken)
    {
        CommandResult result = await runner.CheckedAsync(Ip, ["netns", "list"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return ParseList(result.StandardOutput);
    }

    internal static IReadOnlySet<string> ParseList(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2)[0])
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Creates a namespace with its loopback up; fails (naming the namespace) if it already exists.</summary>
    public async Task CreateAsync(string name, CancellationToken cancellationToken)
    {
        await runner.CheckedAsync(Ip, ["netns", "add", name], cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.NamespaceCreated(logger, name);
    }

    /// <summary>Brings loopback up (a new namespace has it down, which breaks 127.0.0.1 for the node's admin API).</summary>
    public Task LoopbackUpAsync(string name, CancellationToken cancellationToken) =>
        runner.CheckedAsync(Ip, ["-n", name, "link", "set", "lo", "up"], cancellationToken: cancellationToken);

    /// <summary>Creates the bridge in the hub namespace and brings it up.</summary>
    public async Task CreateBridgeAsync(string hub, CancellationToken cancellationToken)
    {
        await runner.CheckedAsync(Ip, ["-n", hub, "link", "add", LabNames.Bridge, "type", "bridge"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", hub, "link", "set", LabNames.Bridge, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Joins a node namespace to the hub's bridge with a veth pair, gives the node its /24 address and a multicast
    /// route (mDNS sends to 224.0.0.251, which needs a route in a namespace without a default route).
    /// </summary>
    public async Task AttachAsync(string hub, int index, string nodeNamespace, string address, CancellationToken cancellationToken)
    {
        string hubSide = LabNames.HubInterface(index);
        string node = LabNames.NodeInterface;
        await runner.CheckedAsync(Ip, ["-n", hub, "link", "add", hubSide, "type", "veth", "peer", "name", node, "netns", nodeNamespace], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", hub, "link", "set", hubSide, "master", LabNames.Bridge], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", hub, "link", "set", hubSide, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", nodeNamespace, "addr", "add", $"{address}/24", "dev", node], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", nodeNamespace, "link", "set", node, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await runner.CheckedAsync(Ip, ["-n", nodeNamespace, "route", "add", "224.0.0.0/4", "dev", node], cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pids of every process inside the namespace (none when it does not exist).</summary>
    public async Task<IReadOnlyList<int>> PidsAsync(string name, CancellationToken cancellationToken)
    {
        CommandResult result = await runner.RunAsync(Ip, ["netns", "pids", name], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return [];
        }

        return result.StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, out int pid) ? pid : throw new LabException($"`{result.CommandLine}` printed '{p}', not a pid"))
            .ToList();
    }

    /// <summary>
    /// Deletes a namespace if it exists; deleting a node namespace also destroys its veth pair (and with it the
    /// hub end), deleting the hub destroys the bridge. Idempotent.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (!(await ListAsync(cancellationToken).ConfigureAwait(false)).Contains(name))
        {
            return;
        }

        await runner.CheckedAsync(Ip, ["netns", "delete", name], cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.NamespaceDeleted(logger, name);
    }
}
