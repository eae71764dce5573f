using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FedMesh.NetSim.Output;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Hosting;
using FedMesh.NetSim.Hosting.Internal;
using FedMesh.Node.Merge;

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
        var noCopy = new Option<bool>("--no-copy-evidence") { Description = "Reputation without copy and collusion evidence (ShareCopyWeight = false): the baseline that defence is measured against." };
        var cosineLinks = new Option<bool>("--copy-links-without-close-call") { Description = "Copy evidence's history-cosine links count for every pair, not only for peers caught in a close call (CosineLinkNeedsCloseCall = false, the default before session 24): more colluders linked, an honest mesh's fixed point moved." };
        var baselines = new Option<bool>("--baselines") { Description = "Torch scenarios: also run local-only, centralized pooled and FedAvg-star training (learner.baselines = true)." };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Torch scenarios: the mesh only, even if the file sets learner.baselines." };
        var mode = new Option<string?>("--mode") { Description = "Override gossip.mode (neighbours, flood)." };
        var encoding = new Option<string?>("--encoding") { Description = "Override gossip.encoding (fp32, fp16, int8, sparse, int8-block, int8-wz)." };
        var density = new Option<double?>("--density") { Description = "Override gossip.density (sparse encoding: fraction of each tensor a release carries)." };
        var fanout = new Option<int?>("--fanout") { Description = "Override gossip.fanout (1..64)." };
        var noFeedback = new Option<bool>("--no-error-feedback") { Description = "Lossy encodings without error feedback (to measure what it buys)." };
        var command = new Command("run", "Run a scenario on virtual time with the node's own gossip, merge, privacy and protocol code.")
        {
            scenario, seed, outDir, json, rule, noEvents, noByzantine, absent, noPlots, noTrust, noCopy, cosineLinks, baselines, noBaselines, mode, encoding, density, fanout, noFeedback,
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

            try
            {
                s = s with
                {
                    Gossip = GossipOverrides.Apply(s.Gossip, parse.GetValue(mode), parse.GetValue(encoding), parse.GetValue(density)) with
                    {
                        Fanout = parse.GetValue(fanout) is { } f ? (f is >= 1 and <= 64 ? f : throw new ArgumentException($"--fanout must be 1..64, got {f}")) : s.Gossip.Fanout,
                        ErrorFeedback = s.Gossip.ErrorFeedback && !parse.GetValue(noFeedback),
                    },
                };
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"netsim run: {ex.Message}");
                return 2;
            }

            s = s with
            {
                Seed = parse.GetValue(seed) ?? s.Seed,
                Events = parse.GetValue(noEvents) ? [] : s.Events,
                Byzantine = parse.GetValue(noByzantine) ? new ByzantineSpec() : s.Byzantine with { Absent = parse.GetValue(absent) },
                Reputation = parse.GetValue(noTrust) ? Scenario.NeutralTrust
                    : s.Reputation with
                    {
                        ShareCopyWeight = s.Reputation.ShareCopyWeight && !parse.GetValue(noCopy),
                        CosineLinkNeedsCloseCall = s.Reputation.CosineLinkNeedsCloseCall && !parse.GetValue(cosineLinks),
                    },
            };
            if (parse.GetValue(baselines) || parse.GetValue(noBaselines))
            {
                if (s.Learner.Kind != LearnerKind.Torch)
                {
                    Console.Error.WriteLine("netsim run: --baselines / --no-baselines: only for learner.kind = \"torch\" scenarios");
                    return 2;
                }

                s = s with { Learner = s.Learner with { Torch = s.Learner.Torch with { Baselines = !parse.GetValue(noBaselines) } } };
            }

            string directory = parse.GetValue(outDir) ?? Path.Combine("netsim-out", s.Name);
            return Run(s, directory, parse.GetValue(json), !parse.GetValue(noPlots));
        });
        return command;
    }

    private static int Run(Scenario scenario, string directory, bool json, bool plots)
    {
        Directory.CreateDirectory(directory);
        var wall = Stopwatch.StartNew();
        // Progress lines: stderr with --json (stdout stays one JSON document), else plain lines on stdout.
        TextWriter progress = json ? Console.Error : Console.Out;
        void Info(string line) => progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{wall.Elapsed.TotalSeconds,6:F0} s] {line}"));
        bool torch = scenario.Learner.Kind == LearnerKind.Torch;
        // Every scenario runs on N real NodeRuntimes: handshake, AEAD, membership, gossip actor and round loop with
        // the daemon's options (torch nodes assembled by the daemon's NodeFactory); byte counts are wire bytes.
        Info($"{scenario.Name}: {scenario.Nodes} nodes x {scenario.Rounds} rounds on the real node runtime{(torch ? " (TorchLearner" + (scenario.Privacy is { } p ? $", DP {p.Level} level" : "") + ")" : "")}");
        SimulationResult result;
        try
        {
            result = RuntimeMesh.Run(scenario, Info, torch
                ? sample => Info(string.Create(CultureInfo.InvariantCulture, $"round {sample.Round}/{scenario.Rounds}: mean held-out bpc {sample.MeanScore:F4}"))
                : null).ToSimulationResult();
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"netsim run: {ex.Message}");
            return 2;
        }

        if (torch && scenario.Learner.Torch.Baselines)
        {
            Info($"baselines: local-only, centralized pooled and FedAvg star, {scenario.Rounds} rounds × {scenario.Learner.LocalSteps} steps each …");
            result = result with { Baselines = BaselineRunner.Run(scenario, Info) };
        }

        RunOutputs.Write(result, directory, plots);
        wall.Stop();
        if (json)
        {
            Console.WriteLine(RunOutputs.SummaryJson(result));
            return 0;
        }

        Comparison.Print(result);
        SummaryTable.Print(result, directory, wall.Elapsed);
        return 0;
    }
}
