using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FedMesh.NetSim.Output;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Simulation;
using FedMesh.Node.Merge;
using Spectre.Console;

namespace FedMesh.NetSim.Cli;

/// <summary><c>netsim run SCENARIO [--seed S] [--out DIR] [--json]</c>.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario file (TOML), e.g. netsim/scenarios/partition-heal.toml." };
        var seed = new Option<ulong?>("--seed") { Description = "Override the scenario's seed." };
        var outDir = new Option<string?>("--out") { Description = "Output directory (default: netsim-out/<scenario>)." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON; no progress bar or table." };
        var rule = new Option<string?>("--rule") { Description = "Override merge.rule (mean, median, trimmed_mean, multi_krum, geometric_median, centered_clipping)." };
        var noEvents = new Option<bool>("--no-events") { Description = "Ignore the timed events (the baseline to compare a partition or crash run with)." };
        var noByzantine = new Option<bool>("--no-byzantine") { Description = "Run without attackers (the clean baseline)." };
        var absent = new Option<bool>("--attackers-absent") { Description = "The attackers never start: the honest nodes alone (the clean baseline for a robust rule)." };
        var noPlots = new Option<bool>("--no-plots") { Description = "Skip the PNG plots." };
        var noTrust = new Option<bool>("--no-reputation") { Description = "Trust-neutral weights (merge.reputation = false): measure the aggregation rule alone." };
        var command = new Command("run", "Run a scenario on virtual time with the node's own gossip, merge, privacy and protocol code.")
        {
            scenario, seed, outDir, json, rule, noEvents, noByzantine, absent, noPlots, noTrust,
        };
        command.SetAction(parse =>
        {
            Scenario s;
            try
            {
                s = ScenarioLoader.Load(parse.GetValue(scenario)!);
            }
            catch (ScenarioException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }

            if (parse.GetValue(rule) is { } ruleName)
            {
                if (!AggregationRuleNames.TryParse(ruleName, out AggregationRule r, out string error))
                {
                    Console.Error.WriteLine($"netsim run: --rule: {error}");
                    return 2;
                }

                s = s with { Rule = r };
            }

            s = s with
            {
                Seed = parse.GetValue(seed) ?? s.Seed,
                Events = parse.GetValue(noEvents) ? [] : s.Events,
                Byzantine = parse.GetValue(noByzantine) ? new ByzantineSpec() : s.Byzantine with { Absent = parse.GetValue(absent) },
                Reputation = parse.GetValue(noTrust) ? Scenario.NeutralTrust : s.Reputation,
            };
            string directory = parse.GetValue(outDir) ?? Path.Combine("netsim-out", s.Name);
            return Run(s, directory, parse.GetValue(json), !parse.GetValue(noPlots));
        });
        return command;
    }

    private static int Run(Scenario scenario, string directory, bool json, bool plots)
    {
        Directory.CreateDirectory(directory);
        string state = Path.Combine(directory, "state");
        if (Directory.Exists(state))
        {
            // The nodes' ledgers of an earlier run in the same --out: a new run starts from empty state, or it would
            // be charged the old releases and differ from a fresh run of the same scenario and seed.
            Directory.Delete(state, recursive: true);
        }

        var wall = Stopwatch.StartNew();
        SimulationResult result;
        using (var simulator = new Simulator(scenario, state))
        {
            if (json)
            {
                result = simulator.Run();
            }
            else
            {
                result = null!;
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx =>
                    {
                        ProgressTask task = ctx.AddTask($"{scenario.Name}: {scenario.Nodes} nodes", maxValue: scenario.Rounds);
                        simulator.RoundCompleted = round => task.Value = round;
                        result = simulator.Run();
                    });
            }
        }

        RunOutputs.Write(result, directory, plots);
        wall.Stop();
        if (json)
        {
            Console.WriteLine(RunOutputs.SummaryJson(result));
            return 0;
        }

        SummaryTable.Print(result, directory, wall.Elapsed);
        return 0;
    }
}
