using FedMesh.NetSim.Lab.Internal;

namespace FedMesh.NetSim.Lab;

/// <summary><c>up</c>: build the namespaces, write configs, start the nodes; roll everything back on failure.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>
    /// Creates the lab and starts one process per node. The state file is written after every step, and any
    /// failure (or cancellation) tears down what was made before the error is thrown; the lab directory with the
    /// node logs is kept then, so the reason can be read.
    /// </summary>
    public async Task<LabState> UpAsync(LabUpRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        LabNames.Validate(request.Name);
        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabException("netsim lab up needs root: it creates network namespaces, veth pairs and nft rules");
        }

        IReadOnlyList<string> command = ResolveCommand(request.Command);
        int basePort = request.BasePort ?? _options.BasePort;
        if (request.Nodes < 1 || request.Nodes > _options.MaxNodes)
        {
            throw new LabException($"--nodes must be between 1 and {_options.MaxNodes}, got {request.Nodes}");
        }

        if (basePort < 1 || basePort + request.Nodes - 1 > 65535)
        {
            throw new LabException($"--base-port {basePort} with {request.Nodes} nodes needs ports {basePort}-{basePort + request.Nodes - 1}; ports are 1-65535");
        }

        string lab = request.Name;
        using LabLock _ = LabLock.Acquire(Store, lab);
        if (Store.Exists(lab))
        {
            throw new LabException($"lab '{lab}' is already up ({Store.StatePath(lab)}); run `netsim lab down --lab {lab}` first");
        }

        string[] leftovers = (await _namespaces.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(n => n.StartsWith(LabNames.NamespacePrefix(lab), StringComparison.Ordinal)).ToArray();
        if (leftovers.Length > 0)
        {
            throw new LabException($"namespaces of lab '{lab}' already exist ({string.Join(", ", leftovers)}), probably left by a crash; run `netsim lab down --lab {lab}` first");
        }

        LabState state = Plan(lab, request.Nodes, basePort, command);
        Directory.CreateDirectory(state.Directory);
        Store.Save(state);
        try
        {
            return await BuildAsync(state, s => state = s, request.StartupGrace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LabException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            Log.RollingBack(_logger, lab, ex.Message);
            // Rollback must finish even when the up was cancelled (Ctrl-C), hence no cancellation token.
            await TearDownAsync(lab, Created(state), CancellationToken.None).ConfigureAwait(false);
            Store.Delete(lab);
            string verb = ex is OperationCanceledException ? "was cancelled" : "failed";
            throw new LabException($"lab '{lab}' up {verb} and was rolled back (logs kept in {state.Directory}): {ex.Message}", ex);
        }
    }

    private IReadOnlyList<string> ResolveCommand(string? template)
    {
        if (template is not null)
        {
            return CommandTemplate.Parse(template);
        }

        try
        {
            // fedmesh in netsim's own output folder (the project references node/Cli), found the one way every program does.
            return [.. FedMesh.Node.Hosting.FedmeshExecutable.Command(), "run", "--config", "{config}"];
        }
        catch (FileNotFoundException ex)
        {
            throw new LabException($"{ex.Message}, or pass --command");
        }
    }

    private LabState Plan(string lab, int nodes, int basePort, IReadOnlyList<string> command)
    {
        string directory = Store.LabDirectory(lab);
        return new LabState
        {
            Name = lab,
            Directory = directory,
            HubNamespace = LabNames.HubNamespace(lab),
            Command = command,
            Nodes = Enumerable.Range(0, nodes).Select(i => new LabNode
            {
                Index = i,
                Namespace = LabNames.NodeNamespace(lab, i),
                Address = LabNames.NodeAddress(lab, i).ToString(),
                Port = basePort + i,
                ConfigPath = Path.Combine(directory, $"node{i}", "fedmesh.toml"),
                LogPath = Path.Combine(directory, $"node{i}", "node.log"),
            }).ToList(),
        };
    }

    /// <summary>Runs the steps of <c>up</c>; <paramref name="progress"/> receives every saved state for the rollback.</summary>
    private async Task<LabState> BuildAsync(LabState state, Action<LabState> progress, TimeSpan? grace, CancellationToken cancellationToken)
    {
        void Save(LabState next)
        {
            state = next;
            Store.Save(next);
            progress(next);
        }

        await _namespaces.CreateAsync(state.HubNamespace, cancellationToken).ConfigureAwait(false);
        Save(state with { HubCreated = true });
        await _namespaces.LoopbackUpAsync(state.HubNamespace, cancellationToken).ConfigureAwait(false);
        await _namespaces.CreateBridgeAsync(state.HubNamespace, cancellationToken).ConfigureAwait(false);

        foreach (LabNode node in state.Nodes)
        {
            await _namespaces.CreateAsync(node.Namespace, cancellationToken).ConfigureAwait(false);
            Save(state.With(node with { NamespaceCreated = true }));
            await _namespaces.LoopbackUpAsync(node.Namespace, cancellationToken).ConfigureAwait(false);
            await _namespaces.AttachAsync(state.HubNamespace, node.Index, node.Namespace, node.Address, cancellationToken).ConfigureAwait(false);
        }

        NodeConfigs.WriteAll(state);
        foreach (LabNode node in state.Nodes)
        {
            Save(state.With(StartNode(node with { Argv = CommandTemplate.Fill(state.Command, state.Name, node) })));
        }

        await ExpectRunningAsync(state, state.Nodes, cancellationToken, grace).ConfigureAwait(false);
        return state;
    }

    /// <summary>Starts a node's recorded command line; returns the node with its new pid.</summary>
    private LabNode StartNode(LabNode node)
    {
        string directory = Path.GetDirectoryName(node.LogPath)!;
        Directory.CreateDirectory(directory);
        int pid = _processes.Start(node.Namespace, node.Argv, node.LogPath, directory);
        Log.NodeStarted(_logger, node.Index, pid, node.Namespace, node.LogPath);
        return node with { Pid = pid };
    }

    /// <summary>
    /// Waits <paramref name="grace"/> (else <see cref="LabOptions.StartupGrace"/>) and checks that each node still has a process: a wrong command or
    /// a rejected config exits at once, and saying so (with the log's last lines) beats a lab of dead nodes.
    /// </summary>
    private async Task ExpectRunningAsync(LabState state, IEnumerable<LabNode> nodes, CancellationToken cancellationToken, TimeSpan? grace = null)
    {
        await Task.Delay(grace ?? _options.StartupGrace, _time, cancellationToken).ConfigureAwait(false);
        foreach (LabNode node in nodes)
        {
            if ((await _processes.RunningAsync(node.Namespace, cancellationToken).ConfigureAwait(false)).Count == 0)
            {
                throw new LabException(
                    $"node {node.Index} of lab '{state.Name}' exited right after start ({CommandRunner.Format(node.Argv[0], node.Argv.Skip(1))}); last lines of {node.LogPath}:{Environment.NewLine}{LogTail(node.LogPath)}");
            }
        }
    }
}
