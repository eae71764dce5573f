using FedMesh.Node.Configuration;

namespace FedMesh.NetSim.Lab;

/// <summary>Settings of the namespace lab that do not change per command.</summary>
public sealed record LabOptions
{
    public static readonly LabOptions Default = new();

    /// <summary>
    /// /run/fedmesh-lab: /run is a tmpfs, so a reboot (which also destroys every namespace) clears stale lab state
    /// with it. Tests and unprivileged experiments point this elsewhere.
    /// </summary>
    public string StateRoot { get; init; } = "/run/fedmesh-lab";

    /// <summary>
    /// 64 nodes: every node is a full process (a model and its optimiser), so a single machine runs out of memory
    /// and cores long before a /24 runs out of addresses (253).
    /// </summary>
    public int MaxNodes { get; init; } = 64;

    /// <summary>
    /// 5 s between SIGTERM and SIGKILL: the node flushes its checkpoint and ledgers on SIGTERM (fsync'd writes of a
    /// few MiB), which takes well under a second; the margin covers a loaded 2-core machine.
    /// </summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 0.5 s after starting the nodes, <c>up</c> checks that each is still running. A wrong command, a missing
    /// binary or a rejected config makes a process exit within milliseconds; a longer wait only slows every up.
    /// </summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// 10 s per ip/nft/tc invocation: they finish in milliseconds; the bound only turns a hung tool (e.g. a stuck
    /// netlink socket) into a clear error instead of a hung lab command.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the supervisor looks whether a signalled process has gone; 20 ms keeps <c>down</c> snappy.</summary>
    public TimeSpan ExitPollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Port of node 0; node i listens on BasePort + i. The node's own default port, so a 1-node lab matches a plain node.</summary>
    public int BasePort { get; init; } = NetworkSection.Default.ListenPort;
}
