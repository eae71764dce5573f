using System.CommandLine;
using FedMesh.Node.Configuration;
using FedMesh.Node.Hosting;
using FedMesh.Node.Storage;
using FedMesh.Protocol.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Cli;

/// <summary><c>fedmesh run [--config FILE] [--state-dir DIR]</c> (found as <see cref="NodeLocator"/> says): the daemon, on the .NET Generic Host (systemd notify + watchdog).</summary>
public static class RunCommand
{
    public static Command Create(NodeHooks? hooks = null)
    {
        var config = NodeLocator.ConfigOption();
        var stateDir = NodeLocator.StateDirOption();
        var command = new Command("run", "Run the node until stopped (SIGTERM/Ctrl-C).") { config, stateDir };
        command.SetAction(async (parse, cancel) =>
        {
            // The whole configuration is validated here (file:line), before anything heavy loads.
            if (!NodeLocator.TryResolve(parse.GetValue(config), parse.GetValue(stateDir), requireConfig: true, requireState: false, out NodeLocation? node, out string problem))
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh run: {problem}");
                return 2;
            }

            NodeOptions options = node.Options;
            HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
            string? logFormat = ConsoleLogging.Resolve(ConsoleLogging.HostSetting(builder.Configuration), options.Node.LogFormat, out string? logProblem);
            if (logFormat is null)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh run: {logProblem}");
                return 2;
            }

            builder.Logging.ClearProviders();
            builder.Logging.AddNodeConsole(logFormat);
            builder.Logging.SetMinimumLevel(LogLevel.Information);

            // A start failure is reported once, below, as "fedmesh run: <what to fix>"; the host would also log it
            // with a stack trace, which buries the message an operator needs under frames they do not.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
            builder.Services.AddSystemd();
            // AddSystemd registers the notifier only when running under systemd; the watchdog needs one everywhere
            // (outside systemd it is disabled: no NOTIFY_SOCKET), else `fedmesh run` failed to start from a shell.
            builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(hooks ?? NodeHooks.None);
            builder.Services.AddSingleton<NodeService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeService>());
            builder.Services.AddHostedService<SystemdWatchdog>();
            using IHost host = builder.Build();
            NodeService service = host.Services.GetRequiredService<NodeService>();
            try
            {
                await host.RunAsync(cancel).ConfigureAwait(false);
            }
            // ArgumentException: option records validated at assembly (e.g. PrivacyOptions' σ ≥ 0.3) name the bad key.
            // Audit and ledger exceptions say what is damaged and what the operator must do (e.g. a truncated audit log).
            catch (Exception ex) when (ex is StateDirectoryException or KeyFileException or InvalidDataException or ConfigException or IOException or ArgumentException or System.Net.HttpListenerException or System.Net.Sockets.SocketException
                or Audit.AuditLogException or Privacy.LedgerCorruptException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fedmesh run: {ex.Message}");
                return 1;
            }

            return service.ExitCode;
        });
        return command;
    }
}

/// <summary>
/// Hosts the assembled node; stops the application when the node stops by itself: after <c>max_rounds</c> (exit 0),
/// or on a fault in one of its loops (<see cref="NodeRuntime.FaultExitCode"/>, so a supervisor sees a failure).
/// </summary>
internal sealed class NodeService : IHostedService
{
    private readonly Func<CancellationToken, Task<(NodeRuntime Runtime, IAsyncDisposable Owner)>> _assemble;
    private readonly IHostApplicationLifetime _lifetime;
    private NodeRuntime? _runtime;
    private IAsyncDisposable? _owner;

    public NodeService(NodeOptions options, TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime, NodeHooks hooks, ISystemdNotifier notifier)
        : this(
            async cancel =>
            {
                // Under systemd the start timeout is extended while the model loads or is pretrained (first start).
                await using StartupTimeoutExtender extender = StartupTimeoutExtender.Start(notifier, time, "loading the base model (pretrained on a first start) and the node's state");
                AssembledNode node = await Task.Run(() => NodeFactory.Create(options, loggers, time, cancellationToken: cancel, hooks: hooks), cancel).ConfigureAwait(false);
                return (node.Runtime, node);
            },
            lifetime)
    {
    }

    /// <summary>Hosts whatever <paramref name="assemble"/> builds (tests host a runtime with an injected learner).</summary>
    internal NodeService(Func<CancellationToken, Task<(NodeRuntime Runtime, IAsyncDisposable Owner)>> assemble, IHostApplicationLifetime lifetime)
    {
        _assemble = assemble;
        _lifetime = lifetime;
    }

    /// <summary>The process exit code: 0, or <see cref="NodeRuntime.FaultExitCode"/> once the node stopped on a fault.</summary>
    public int ExitCode { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        (_runtime, _owner) = await _assemble(cancellationToken).ConfigureAwait(false);
        try
        {
            await _runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NodeStartException ex)
        {
            // One line naming the key and address, then an orderly stop with exit code 1: the exception is not
            // rethrown, since the host would log it with a stack trace; the assembled node (learner, ledger, audit
            // log) is disposed here, since the host does not stop a service whose start failed.
            Console.Error.WriteLine($"fedmesh run: {ex.Message}");
            ExitCode = 1;
            IAsyncDisposable owner = _owner;
            (_runtime, _owner) = (null, null);
            await owner.DisposeAsync().ConfigureAwait(false);
            _lifetime.StopApplication();
            return;
        }

        NodeRuntime runtime = _runtime;
        _ = runtime.Completion.ContinueWith(
            _ =>
            {
                if (runtime.Fault is not null)
                {
                    ExitCode = NodeRuntime.FaultExitCode;
                }

                _lifetime.StopApplication();
            },
            TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_owner is not null)
        {
            await _owner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
