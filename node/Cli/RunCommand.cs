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

/// <summary><c>fedmesh run --config FILE</c>: the daemon, on the .NET Generic Host (systemd notify + watchdog).</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "Configuration file (TOML).", DefaultValueFactory = _ => "/etc/fedmesh/fedmesh.toml" };
        var command = new Command("run", "Run the node until stopped (SIGTERM/Ctrl-C).") { config };
        command.SetAction(async (parse, cancel) =>
        {
            NodeOptions options;
            try
            {
                options = ConfigLoader.Load(parse.GetValue(config)!, ConfigLoader.ProcessEnvironment());
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"fedmesh run: {ex.Message}");
                return 2;
            }

            HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Services.AddSystemd();
            // AddSystemd registers the notifier only when running under systemd; the watchdog needs one everywhere
            // (outside systemd it is disabled: no NOTIFY_SOCKET), else `fedmesh run` failed to start from a shell.
            builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton(options);
            builder.Services.AddHostedService<NodeService>();
            builder.Services.AddHostedService<SystemdWatchdog>();
            using IHost host = builder.Build();
            try
            {
                await host.RunAsync(cancel).ConfigureAwait(false);
            }
            // ArgumentException: option records validated at assembly (e.g. PrivacyOptions' σ ≥ 0.3) name the bad key.
            // Audit and ledger exceptions say what is damaged and what the operator must do (e.g. a truncated audit log).
            catch (Exception ex) when (ex is StateDirectoryException or KeyFileException or InvalidDataException or ConfigException or IOException or ArgumentException or System.Net.HttpListenerException or System.Net.Sockets.SocketException
                or Audit.AuditLogException or Privacy.LedgerCorruptException)
            {
                Console.Error.WriteLine($"fedmesh run: {ex.Message}");
                return 1;
            }

            return NodeService.ExitCode;
        });
        return command;
    }
}

/// <summary>Hosts the assembled node; stops the application when the node stops by itself (max_rounds).</summary>
internal sealed class NodeService(NodeOptions options, TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime) : IHostedService
{
    private AssembledNode? _node;

    public static int ExitCode { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _node = await Task.Run(() => NodeFactory.Create(options, loggers, time, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        await _node.Runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = _node.Runtime.Completion.ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
