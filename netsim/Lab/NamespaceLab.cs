using FedMesh.NetSim.Lab.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.NetSim.Lab;

/// <summary>
/// The namespace lab: real node processes in Linux network namespaces joined by a bridge, with real faults (nft
/// drops, tc shaping, killed processes). Every operation reads and writes the lab's state file, so separate
/// <c>netsim lab …</c> invocations work on the same lab. Needs root, iproute2 and nftables.
/// </summary>
public sealed partial class NamespaceLab
{
    private readonly LabOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NamespaceManager _namespaces;
    private readonly ProcessSupervisor _processes;
    private readonly FaultManager _faults;

    public NamespaceLab(LabOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _options = options ?? LabOptions.Default;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var runner = new CommandRunner(_options.CommandTimeout, _logger);
        _namespaces = new NamespaceManager(runner, _logger);
        _processes = new ProcessSupervisor(_namespaces, _options, _time, _logger);
        _faults = new FaultManager(runner, _logger);
        Store = new LabStateStore(_options.StateRoot);
    }

    public LabStateStore Store { get; }

    /// <summary>
    /// Stops every node, deletes the lab's namespaces (with them its veths and bridge) and its directory.
    /// Idempotent: returns false when there was nothing left of the lab. Without a readable state file it falls
    /// back to the namespaces named after the lab (<c>fml{lab}-*</c>), so a crashed lab can still be cleaned.
    /// </summary>
    public async Task<bool> DownAsync(string lab, CancellationToken cancellationToken = default)
    {
        LabNames.Validate(lab);
        using LabLock _ = LabLock.Acquire(Store, lab);
        LabState? state;
        try
        {
            state = Store.TryLoad(lab);
        }
        catch (LabException ex)
        {
            Log.CleanupStepFailed(_logger, lab, ex.Message);
            state = null;
        }

        IReadOnlyList<string> namespaces = state is not null
            ? Created(state)
            : (await _namespaces.ListAsync(cancellationToken).ConfigureAwait(false))
                .Where(n => n.StartsWith(LabNames.NamespacePrefix(lab), StringComparison.Ordinal))
                .OrderBy(n => n == LabNames.HubNamespace(lab) ? 1 : 0)
                .ThenBy(n => n, StringComparer.Ordinal)
                .ToList();
        string directory = Store.LabDirectory(lab);
        bool existed = namespaces.Count > 0 || Directory.Exists(directory);
        await TearDownAsync(lab, namespaces, cancellationToken).ConfigureAwait(false);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        return existed;
    }

    /// <summary>The lab's recorded state with the processes that run in each node namespace right now.</summary>
    public async Task<LabStatus> StatusAsync(string lab, CancellationToken cancellationToken = default)
    {
        LabState state = Store.Load(lab);
        var nodes = new List<LabNodeStatus>(state.Nodes.Count);
        foreach (LabNode node in state.Nodes)
        {
            nodes.Add(new LabNodeStatus(node, await _processes.RunningAsync(node.Namespace, cancellationToken).ConfigureAwait(false)));
        }

        return new LabStatus(state, nodes);
    }

    /// <summary>The root qdisc of node <paramref name="index"/>'s interface, as <c>tc qdisc show</c> prints it.</summary>
    public async Task<string> ShowQdiscAsync(string lab, int index, CancellationToken cancellationToken = default)
    {
        LabNode node = Store.Load(lab).Node(index);
        return await _faults.ShowQdiscAsync(node.Namespace, LabNames.NodeInterface, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Namespaces the lab made, nodes first (stopping their processes) and the hub last.</summary>
    private static List<string> Created(LabState state)
    {
        var names = state.Nodes.Where(n => n.NamespaceCreated).Select(n => n.Namespace).ToList();
        if (state.HubCreated)
        {
            names.Add(state.HubNamespace);
        }

        return names;
    }

    /// <summary>
    /// Stops the processes of, then deletes, each namespace. A failing step is logged and the rest still run, so
    /// one stuck namespace does not leave the others behind; the failures are reported together at the end.
    /// </summary>
    private async Task TearDownAsync(string lab, IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (string name in namespaces)
        {
            try
            {
                await _processes.StopAllAsync(name, cancellationToken).ConfigureAwait(false);
                await _namespaces.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (LabException ex)
            {
                Log.CleanupStepFailed(_logger, lab, ex.Message);
                problems.Add(ex.Message);
            }
        }

        if (problems.Count > 0)
        {
            throw new LabException($"lab '{lab}' was not removed completely:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }
    }

    /// <summary>The last lines of a node's log, to show why it exited.</summary>
    private static string LogTail(string path)
    {
        // 2 KiB is a screenful of the last lines: enough for an exception message, bounded for a huge log.
        const int TailBytes = 2048;
        const int TailLines = 8;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(0, stream.Length - TailBytes), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            string[] lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? "(log is empty)" : string.Join(Environment.NewLine, lines.TakeLast(TailLines));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"(log {path} cannot be read: {ex.Message})";
        }
    }
}
