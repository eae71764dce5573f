using System.CommandLine;

namespace FedMesh.NetSim.Lab.Cli;

/// <summary><c>netsim lab fault partition|loss|bandwidth|delay|kill|restart</c>.</summary>
internal static class LabFaultCommand
{
    public static Command Create(LabCommand.Context context)
    {
        var fault = new Command("fault", "Inject a fault into a running lab (`netsim lab heal` removes them all).");

        var groups = new Option<string>("--groups") { Description = "Groups separated by ':', node indices by ',' (e.g. 0,1:2,3); every node once.", Required = true };
        fault.Subcommands.Add(WithAction(context, new Command("partition", "Drop all traffic between the groups.") { groups },
            async (parse, lab, name, output, token) =>
            {
                await lab.PartitionAsync(name, parse.GetValue(groups)!, token).ConfigureAwait(false);
                await output.WriteLineAsync($"lab '{name}' partitioned into {parse.GetValue(groups)}").ConfigureAwait(false);
            }));

        Option<int> lossNode = NodeOption();
        var percent = new Option<int>("--percent") { Description = "Percent of packets dropped in each direction (0-100).", Required = true };
        fault.Subcommands.Add(WithAction(context, new Command("loss", "Drop a share of the node's packets (nft numgen).") { lossNode, percent },
            async (parse, lab, name, output, token) =>
            {
                await lab.LossAsync(name, parse.GetValue(lossNode), parse.GetValue(percent), token).ConfigureAwait(false);
                await output.WriteLineAsync($"node {parse.GetValue(lossNode)}: {parse.GetValue(percent)}% loss each way").ConfigureAwait(false);
            }));

        Option<int> rateNode = NodeOption();
        var rate = new Option<string>("--rate") { Description = "Rate each way, tc syntax (e.g. 1mbit, 500kbit).", Required = true };
        fault.Subcommands.Add(WithAction(context, new Command("bandwidth", "Limit the node's link with a tbf qdisc on both veth ends.") { rateNode, rate },
            async (parse, lab, name, output, token) =>
            {
                await lab.BandwidthAsync(name, parse.GetValue(rateNode), parse.GetValue(rate)!, token).ConfigureAwait(false);
                await output.WriteLineAsync($"node {parse.GetValue(rateNode)}: limited to {parse.GetValue(rate)} each way").ConfigureAwait(false);
            }));

        Option<int> delayNode = NodeOption();
        var ms = new Option<int>("--ms") { Description = "Delay in ms each way (needs sch_netem; without it: a warning, exit 0).", Required = true };
        fault.Subcommands.Add(WithAction(context, new Command("delay", "Delay the node's packets with netem.") { delayNode, ms },
            async (parse, lab, name, output, token) =>
            {
                string? warning = await lab.DelayAsync(name, parse.GetValue(delayNode), parse.GetValue(ms), token).ConfigureAwait(false);
                await (warning is null
                    ? output.WriteLineAsync($"node {parse.GetValue(delayNode)}: {parse.GetValue(ms)} ms delay each way")
                    : parse.InvocationConfiguration.Error.WriteLineAsync($"netsim lab: warning: {warning}")).ConfigureAwait(false);
            }));

        Option<int> killNode = NodeOption();
        fault.Subcommands.Add(WithAction(context, new Command("kill", "Stop the node's processes (SIGTERM, then SIGKILL).") { killNode },
            async (parse, lab, name, output, token) =>
            {
                await lab.KillAsync(name, parse.GetValue(killNode), token).ConfigureAwait(false);
                await output.WriteLineAsync($"node {parse.GetValue(killNode)} killed").ConfigureAwait(false);
            }));

        Option<int> restartNode = NodeOption();
        fault.Subcommands.Add(WithAction(context, new Command("restart", "Stop the node if it runs and start it again.") { restartNode },
            async (parse, lab, name, output, token) =>
            {
                LabState state = await lab.RestartAsync(name, parse.GetValue(restartNode), token).ConfigureAwait(false);
                await output.WriteLineAsync($"node {parse.GetValue(restartNode)} restarted (pid {state.Node(parse.GetValue(restartNode)).Pid})").ConfigureAwait(false);
            }));
        return fault;
    }

    private static Option<int> NodeOption() => new("--node") { Description = "Node index (0-based).", Required = true };

    private static Command WithAction(LabCommand.Context context, Command command, Func<ParseResult, NamespaceLab, string, TextWriter, CancellationToken, Task> run)
    {
        command.SetAction((parse, token) => context.RunAsync(parse, (lab, name, output, ct) => run(parse, lab, name, output, ct), token));
        return command;
    }
}
