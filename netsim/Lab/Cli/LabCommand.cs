using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedMesh.NetSim.Lab.Cli;

/// <summary>
/// <c>netsim lab up|down|status|fault|heal</c>. Exit codes: 0 done (also for <c>fault delay</c> on a kernel without
/// netem, which prints a warning), 1 the lab operation failed (the message says why).
/// </summary>
public static class LabCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;

    /// <summary>
    /// How long process exit waits for a running lab operation: a 64-node teardown is 64 × (stop timeout 5 s at
    /// worst + a few ip calls); one minute covers the usual case where nodes stop at SIGTERM.
    /// </summary>
    private static readonly TimeSpan ExitWaitLimit = TimeSpan.FromMinutes(1);

    public static Command Create()
    {
        var lab = new Option<string>("--lab") { Description = "Lab name (1-12 lower-case letters or digits).", DefaultValueFactory = _ => LabUpRequest.DefaultName, Recursive = true };
        var stateDir = new Option<string>("--state-dir") { Description = "Where lab state, configs and logs live.", DefaultValueFactory = _ => LabOptions.Default.StateRoot, Recursive = true };
        var verbose = new Option<bool>("--verbose") { Description = "Log every ip/nft/tc command and step.", Recursive = true };
        var context = new Context(lab, stateDir, verbose);

        var command = new Command("lab", "Real fedmesh processes in Linux network namespaces with real faults (needs root, iproute2, nftables).");
        command.Options.Add(lab);
        command.Options.Add(stateDir);
        command.Options.Add(verbose);
        command.Subcommands.Add(Up(context));
        command.Subcommands.Add(Simple(context, "down", "Stop the nodes and delete the lab's namespaces and directory (idempotent).", async (l, name, output, token) =>
        {
            // Not cancellable: a signal must not leave a half-removed lab (a second signal still forces the exit).
            bool existed = await l.DownAsync(name, CancellationToken.None).ConfigureAwait(false);
            await output.WriteLineAsync(existed ? $"lab '{name}' is down" : $"lab '{name}' was not up; nothing to do").ConfigureAwait(false);
        }));
        command.Subcommands.Add(Simple(context, "status", "List the lab's nodes, their processes and faults.", async (l, name, output, token) =>
            await LabStatusPrinter.PrintAsync(await l.StatusAsync(name, token).ConfigureAwait(false), output).ConfigureAwait(false)));
        command.Subcommands.Add(Simple(context, "heal", "Remove every fault and restart killed nodes.", async (l, name, output, token) =>
        {
            await l.HealAsync(name, token).ConfigureAwait(false);
            await output.WriteLineAsync($"lab '{name}' healed").ConfigureAwait(false);
        }));
        command.Subcommands.Add(LabFaultCommand.Create(context));
        return command;
    }

    private static Command Up(Context context)
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes.", Required = true };
        var template = new Option<string?>("--command")
        {
            Description = "Per-node command instead of `fedmesh run --config {config}`; placeholders {config} {index} {address} {port} {lab}.",
        };
        var basePort = new Option<int?>("--base-port") { Description = $"Port of node 0; node i uses base + i (default {LabOptions.Default.BasePort})." };
        var wait = new Option<bool>("--wait") { Description = "Stay in the foreground; Ctrl-C or SIGTERM takes the lab down." };
        var grace = new Option<double?>("--startup-grace")
        {
            Description = $"Seconds after starting the nodes before up checks that each still runs (default {LabOptions.Default.StartupGrace.TotalSeconds}).",
        };
        grace.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } s && !(s is > 0 and <= 3600))
            {
                r.AddError($"--startup-grace must be in (0, 3600] seconds, got {s}");
            }
        });
        var up = new Command("up", "Create the lab's namespaces and start one process per node.") { nodes, template, basePort, wait, grace };
        up.SetAction((parse, token) => context.RunAsync(parse, async (l, name, output, ct) =>
        {
            var request = new LabUpRequest
            {
                Name = name,
                Nodes = parse.GetValue(nodes),
                Command = parse.GetValue(template),
                BasePort = parse.GetValue(basePort),
                StartupGrace = parse.GetValue(grace) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            };
            LabState state = await l.UpAsync(request, ct).ConfigureAwait(false);
            if (!parse.GetValue(wait))
            {
                await PrintUpAsync(l, state, output).ConfigureAwait(false);
                return;
            }

            try
            {
                await PrintUpAsync(l, state, output).ConfigureAwait(false);
                await output.WriteLineAsync("running in the foreground; Ctrl-C takes the lab down").ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGINT or SIGTERM (see Context.RunAsync): the expected way out of the foreground mode.
            }
            finally
            {
                // Whatever ends the foreground mode, the lab goes down with it, and the teardown is not cancellable.
                await l.DownAsync(name, CancellationToken.None).ConfigureAwait(false);
            }

            await output.WriteLineAsync($"lab '{name}' is down").ConfigureAwait(false);
        }, token));
        return up;
    }

    private static async Task PrintUpAsync(NamespaceLab lab, LabState state, TextWriter output)
    {
        await output.WriteLineAsync($"lab '{state.Name}' is up: {state.Nodes.Count} nodes, state in {lab.Store.StatePath(state.Name)}").ConfigureAwait(false);
        await LabStatusPrinter.PrintAsync(await lab.StatusAsync(state.Name, CancellationToken.None).ConfigureAwait(false), output).ConfigureAwait(false);
    }

    internal static Command Simple(Context context, string name, string description, Func<NamespaceLab, string, TextWriter, CancellationToken, Task> run)
    {
        var command = new Command(name, description);
        command.SetAction((parse, token) => context.RunAsync(parse, run, token));
        return command;
    }

    /// <summary>The options every lab command shares, and the one place that turns lab errors into exit code 1.</summary>
    internal sealed class Context(Option<string> lab, Option<string> stateDir, Option<bool> verbose)
    {
        public async Task<int> RunAsync(ParseResult parse, Func<NamespaceLab, string, TextWriter, CancellationToken, Task> run, CancellationToken token)
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string name = parse.GetValue(lab) ?? LabUpRequest.DefaultName;
            using ILoggerFactory loggers = parse.GetValue(verbose)
                ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug))
                : NullLoggerFactory.Instance;
            try
            {
                LabNames.Validate(name);
                var options = LabOptions.Default with { StateRoot = parse.GetValue(stateDir) ?? LabOptions.Default.StateRoot };
                using var signals = new SignalCancellation(token);
                Task work = run(new NamespaceLab(options, TimeProvider.System, loggers.CreateLogger("FedMesh.NetSim.Lab")), name, output, signals.Token);

                // Should the process end anyway (System.CommandLine returns from Main after its own termination
                // timeout when it handles a signal), process exit waits for the rollback or teardown (bounded, in
                // case it hangs) instead of leaving namespaces behind.
                void WaitForWork(object? sender, EventArgs e) => ((IAsyncResult)work).AsyncWaitHandle.WaitOne(ExitWaitLimit);
                AppDomain.CurrentDomain.ProcessExit += WaitForWork;
                try
                {
                    await work.ConfigureAwait(false);
                }
                finally
                {
                    AppDomain.CurrentDomain.ProcessExit -= WaitForWork;
                }

                return ExitOk;
            }
            catch (LabException ex)
            {
                await error.WriteLineAsync($"netsim lab: {ex.Message}").ConfigureAwait(false);
                return ExitFailed;
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync($"netsim lab: cancelled by a signal; lab '{name}' may be partly changed, see `netsim lab status --lab {name}`").ConfigureAwait(false);
                return ExitFailed;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"netsim lab: {ex.Message}").ConfigureAwait(false);
                return ExitFailed;
            }
        }
    }
}
