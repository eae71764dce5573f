using System.CommandLine;
using FedMesh.Node.Configuration;
using FedMesh.Node.Storage;

namespace FedMesh.Node.Cli;

/// <summary>Where a command found its node: the configuration it read and the state directory it uses, each with
/// the reason it was chosen (printed by reports so an operator sees which node a figure belongs to).</summary>
/// <param name="Options">The configuration (defaults when no file was found and none was required).</param>
/// <param name="ConfigPath">The file read, or null when none was.</param>
/// <param name="State">The state directory's layout.</param>
/// <param name="StateSource">Why this state directory: "--state-dir", "node.state_dir of FILE", "$FEDMESH_STATE_DIR".</param>
public sealed record NodeLocation(NodeOptions Options, string? ConfigPath, StatePaths State, string StateSource);

/// <summary>
/// The one convention every command uses to find its node (<c>run</c>, <c>status</c>, <c>peers</c>, <c>privacy</c>,
/// <c>audit verify</c>, <c>keygen</c>, <c>id</c>, <c>trust</c>, <c>export</c>, <c>data check</c>).
/// <para>Configuration file: <c>--config FILE</c>, else <c>./fedmesh.toml</c> if present, else
/// <c>/etc/fedmesh/fedmesh.toml</c> if present (what the systemd unit runs), else the built-in defaults; a file named
/// with <c>--config</c> that does not exist is an error. <c>FEDMESH_SECTION__KEY</c> variables override its keys.</para>
/// <para>State directory: <c>--state-dir DIR</c>, else <c>node.state_dir</c> of a <c>--config</c> file, else
/// <c>$FEDMESH_STATE_DIR</c>, else <c>node.state_dir</c> of the file found above (or its default /var/lib/fedmesh).
/// Commands that read the state directory require it to exist and name it, with the reason it was chosen, when
/// it does not: a report about a directory that is not there would be a report about nothing.</para>
/// </summary>
public static class NodeLocator
{
    /// <summary>Environment variable naming the state directory when neither --state-dir nor --config is given.</summary>
    public const string StateDirVariable = "FEDMESH_STATE_DIR";

    /// <summary>Configuration in the working directory, where <c>fedmesh init</c> writes it.</summary>
    public const string LocalConfig = "fedmesh.toml";

    /// <summary>System-wide configuration, as the systemd unit runs it.</summary>
    public const string SystemConfig = "/etc/fedmesh/fedmesh.toml";

    /// <summary>What the options' help says (the same text on every command).</summary>
    public const string ConfigHelp = "Configuration file (default: ./fedmesh.toml if present, else /etc/fedmesh/fedmesh.toml if present, else built-in defaults).";

    public const string StateDirHelp = "State directory (default: node.state_dir of --config, else $FEDMESH_STATE_DIR, else node.state_dir of the configuration found).";

    /// <summary>The shared <c>--config</c> option.</summary>
    public static Option<string?> ConfigOption() => new("--config", "-c") { Description = ConfigHelp };

    /// <summary>The shared <c>--state-dir</c> option.</summary>
    public static Option<string?> StateDirOption() => new("--state-dir") { Description = StateDirHelp };

    /// <summary>Resolves from the process environment and working directory; see <see the overload below/>.</summary>
    public static bool TryResolve(string? config, string? stateDir, bool requireConfig, bool requireState, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeLocation? location, out string error) =>
        TryResolve(config, stateDir, requireConfig, requireState, ConfigLoader.ProcessEnvironment(), Environment.GetEnvironmentVariable(StateDirVariable), Environment.CurrentDirectory, SystemConfig, out location, out error);

    /// <summary>
    /// Applies the convention. <paramref name="requireConfig"/>: a configuration file must be found (<c>run</c>);
    /// <paramref name="requireState"/>: the state directory must exist (reports). Returns false with a message naming
    /// the missing path or the configuration problem (file:line).
    /// </summary>
    public static bool TryResolve(
        string? config,
        string? stateDir,
        bool requireConfig,
        bool requireState,
        IReadOnlyDictionary<string, string> environment,
        string? stateDirVariable,
        string workingDirectory,
        string systemConfig,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NodeLocation? location,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(environment);
        location = null;
        error = string.Empty;
        string? configPath = config is { Length: > 0 } ? Path.GetFullPath(config, workingDirectory) : null;
        if (configPath is not null && !File.Exists(configPath))
        {
            error = $"configuration file {configPath} does not exist (--config)";
            return false;
        }

        configPath ??= new[] { Path.Combine(workingDirectory, LocalConfig), systemConfig }.FirstOrDefault(File.Exists);
        if (configPath is null && requireConfig)
        {
            error = $"no configuration: give --config FILE (neither {Path.Combine(workingDirectory, LocalConfig)} nor {systemConfig} exists; `fedmesh init` writes one)";
            return false;
        }

        NodeOptions options;
        try
        {
            options = configPath is null ? NodeOptions.Default : ConfigLoader.Load(configPath, environment);
        }
        catch (ConfigException ex)
        {
            error = ex.Message;
            return false;
        }

        (string root, string source) = stateDir is { Length: > 0 } ? (stateDir, "--state-dir")
            : config is { Length: > 0 } ? (options.Node.StateDir, $"node.state_dir of {configPath}")
            : stateDirVariable is { Length: > 0 } ? (stateDirVariable, $"${StateDirVariable}")
            : (options.Node.StateDir, configPath is null ? "the default node.state_dir (no configuration found)" : $"node.state_dir of {configPath}");
        root = Path.GetFullPath(root, workingDirectory);
        if (requireState && !Directory.Exists(root))
        {
            error = $"state directory {root} does not exist (from {source}); give --state-dir DIR or --config FILE of the node";
            return false;
        }

        // The daemon takes its state directory from the options, so an override reaches it through them.
        location = new NodeLocation(options with { Node = options.Node with { StateDir = root } }, configPath, new StatePaths(root), source);
        return true;
    }
}
