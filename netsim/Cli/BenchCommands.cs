using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FedMesh.NetSim.Scenarios;
using FedMesh.NetSim.Hosting;
using FedMesh.Node.Gossip;

namespace FedMesh.NetSim.Cli;

/// <summary><c>netsim bench scale</c> (wall time vs N) and <c>netsim bench dissemination</c> (spread of one delta vs N).</summary>
public static class BenchCommands
{
    /// <summary>Largest N accepted by the benches: memory grows ~50 KB a node with the default surrogate.</summary>
    private const int MaxBenchNodes = 20_000;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var bench = new Command("bench", "Simulator benchmarks that print figures (add --json for machines).");
        bench.Subcommands.Add(Scale());
        bench.Subcommands.Add(Dissemination());
        bench.Subcommands.Add(Runtime());
        return bench;
    }

    /// <summary><c>netsim bench runtime</c>: the scenario on N real node runtimes (handshake, AEAD, membership, round
    /// loop) over in-memory pipes on virtual time, one thread; prints wall and CPU time, writes per-node CSV.</summary>
    private static Command Runtime()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario (honest surrogate mesh, no events).", DefaultValueFactory = _ => "netsim/scenarios/scale-1000.toml" };
        var nodes = new Option<int?>("--nodes") { Description = "Override the scenario's node count." };
        var rounds = new Option<int?>("--rounds") { Description = "Override the scenario's rounds." };
        var csv = new Option<string?>("--csv") { Description = "Write the per-node results here (what determinism compares)." };
        var series = new Option<string?>("--series") { Description = "Write the per-round means here (round, mean score, mean distance, mean peers)." };
        var noEvents = new Option<bool>("--no-events") { Description = "Ignore the scenario's events (the baseline of partition-heal)." };
        var noByzantine = new Option<bool>("--no-byzantine") { Description = "Every node honest (the clean baseline)." };
        var absent = new Option<bool>("--attackers-absent") { Description = "Attackers never start: the honest nodes alone." };
        var command = new Command("runtime", "Run a scenario on the real node runtime (in-memory pipes, virtual time, one thread).") { scenario, nodes, rounds, csv, series, noEvents, noByzantine, absent };
        command.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(scenario)!, out Scenario? s))
            {
                return 2;
            }

            if (parse.GetValue(nodes) is { } n)
            {
                if (n is < 2 or > MaxBenchNodes)
                {
                    Console.Error.WriteLine($"netsim bench runtime: --nodes must be 2..{MaxBenchNodes}");
                    return 2;
                }

                s = s with { Nodes = n };
            }

            if (parse.GetValue(rounds) is { } r)
            {
                if (r is < 1 or > ScenarioLoader.MaxRounds)
                {
                    Console.Error.WriteLine($"netsim bench runtime: --rounds must be 1..{ScenarioLoader.MaxRounds}");
                    return 2;
                }

                s = s with { Rounds = r };
            }

            if (parse.GetValue(noEvents))
            {
                s = s with { Events = [] };
            }

            if (parse.GetValue(noByzantine))
            {
                s = s with { Byzantine = s.Byzantine with { Fraction = 0 } };
            }

            if (parse.GetValue(absent))
            {
                s = s with { Byzantine = s.Byzantine with { Absent = true } };
            }

            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            Hosting.RuntimeMeshResult result;
            try
            {
                // The per-node CSV and the series are the run's totals and means: no per-node rows per round.
                result = Hosting.RuntimeMesh.Run(s, perNodeRecords: false);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"netsim bench runtime: {ex.Message}");
                return 2;
            }

            wall.Stop();
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            foreach (string line in result.Events)
            {
                Console.WriteLine(line);
            }

            Console.WriteLine(result.Summary());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall {wall.Elapsed.TotalSeconds:F2} s, cpu {cpu:F2} s, {wall.Elapsed.TotalMicroseconds / ((double)s.Nodes * s.Rounds):F0} µs/node-round"));
            if (parse.GetValue(csv) is { } path)
            {
                Protocol.IO.AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(result.ToCsv()));
            }

            if (parse.GetValue(series) is { } seriesPath)
            {
                Protocol.IO.AtomicFile.Write(seriesPath, System.Text.Encoding.UTF8.GetBytes(result.SeriesCsv()));
            }

            return 0;
        });
        return command;
    }

    private static Command Scale()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario whose N is varied.", DefaultValueFactory = _ => "netsim/scenarios/scale-1000.toml" };
        var nodes = new Option<string>("--nodes") { Description = "Comma-separated node counts.", DefaultValueFactory = _ => "100,300,1000,3000" };
        var rounds = new Option<int?>("--rounds") { Description = "Override the scenario's rounds." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var mode = new Option<string?>("--mode") { Description = "Override gossip.mode (neighbours, flood)." };
        var encoding = new Option<string?>("--encoding") { Description = "Override gossip.encoding (fp32, fp16, int8, sparse, int8-block, int8-wz)." };
        var density = new Option<double?>("--density") { Description = "Override gossip.density (sparse encoding: fraction of each tensor a release carries)." };
        var simulated = new Option<bool>("--simulated-crypto") { Description = "Sessions skip the handshake's and the AEAD's cryptography (frames keep their lengths; deltas are still signed and verified): the scenario's simulated_crypto." };
        var flood = new Option<string?>("--flood-up-to") { Description = "Also run flood mode for N up to this count (comma list members only): rounds to consensus = first round whose mean distance to the optimum is within 1 % of flood's final." };
        // Flood at N = 256 costs an hour (∝ N² verifications) and reaches its floor long before a sparse overlay does:
        // a neighbours run longer than the flood run it is compared with reads its rounds to consensus against the
        // flood final an earlier run of the same scenario and N printed.
        var floodFinal = new Option<double?>("--flood-final") { Description = "Flood's final mean distance to the optimum from an earlier run of the same scenario and N: rounds to consensus is read against it instead of running flood (one N only)." };
        var fedAvg = new Option<bool>("--fedavg") { Description = "Also run synchronous FedAvg on the same surrogate nodes without a network (SurrogateFedAvg): fedavg_final and the first round within 1 % of it, a consensus reference where flood is out of reach." };
        // A run long enough to read consensus at N = 4,096 takes hours; its per-round means on stderr keep a stopped or
        // unfinished run readable (the JSON comes only at the end).
        var progress = new Option<bool>("--progress") { Description = "Print each round's mean distance to the optimum to stderr as the run goes (with its ratio to the flood or FedAvg reference when one is known)." };
        var command = new Command("scale", "Wall/CPU time, real wire bytes per node-round and rounds to consensus of a whole run for each N, on the real node runtime (one thread).") { scenario, nodes, rounds, json, mode, encoding, density, simulated, flood, floodFinal, fedAvg, progress };
        command.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(scenario)!, out Scenario? s) || !TryParseCounts(parse.GetValue(nodes), out int[] counts))
            {
                return 2;
            }

            if (parse.GetValue(rounds) is { } r)
            {
                if (r is < 1 or > ScenarioLoader.MaxRounds)
                {
                    Console.Error.WriteLine($"netsim bench scale: --rounds must be 1..{ScenarioLoader.MaxRounds}");
                    return 2;
                }

                s = s with { Rounds = r };
            }

            int floodUpTo = 0;
            if (parse.GetValue(flood) is { } f && !int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out floodUpTo))
            {
                Console.Error.WriteLine($"netsim bench scale: --flood-up-to must be a node count, got '{f}'");
                return 2;
            }

            if (parse.GetValue(fedAvg) && (s.Learner.Kind != LearnerKind.Surrogate || s.Byzantine.Fraction > 0))
            {
                Console.Error.WriteLine("netsim bench scale: --fedavg needs a surrogate scenario without attackers (byzantine.fraction = 0)");
                return 2;
            }

            double? floodReference = parse.GetValue(floodFinal);
            if (floodReference is { } fr && (!double.IsFinite(fr) || fr <= 0 || counts.Length != 1 || floodUpTo > 0))
            {
                Console.Error.WriteLine("netsim bench scale: --flood-final must be a positive distance, with one --nodes count and without --flood-up-to");
                return 2;
            }

            try
            {
                s = s with
                {
                    Gossip = GossipOverrides.Apply(s.Gossip, parse.GetValue(mode), parse.GetValue(encoding), parse.GetValue(density)),
                    SimulatedCrypto = s.SimulatedCrypto || parse.GetValue(simulated),
                };
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"netsim bench scale: {ex.Message}");
                return 2;
            }

            var rows = new List<object>();
            bool asJson = parse.GetValue(json);
            if (!asJson)
            {
                Console.WriteLine($"real runtime ({(s.SimulatedCrypto ? "simulated crypto: no handshake cryptography, no AEAD" : "handshake + AEAD")}), {WireEncodings.Name(s.Gossip.Encoding)}, fanout {s.Gossip.Fanout}");
                Console.WriteLine($"{"mode",10} {"nodes",6} {"rounds",6} {"wall s",8} {"cpu s",8} {"wall µs/n-r",11} {"cpu µs/n-r",10} {"B/node-round",12} {"verif/n-r",9} {"sessions/n-r",12} {"mean ‖x−w*‖",12} {"rounds to 1% of flood",21} {"alloc KB/n-r",12} {"GC pause s",10} {"gen2 GCs",8}");
            }

            foreach (int n in counts)
            {
                Hosting.RuntimeMeshResult? floodRun = null;
                double? fedAvgFinal = parse.GetValue(fedAvg)
                    ? Hosting.SurrogateFedAvg.DistancePerRound(s with { Nodes = n, Events = [] })[^1]
                    : null;
                var modes = new List<GossipMode>();
                if (n <= floodUpTo && s.Gossip.Mode != GossipMode.Flood)
                {
                    modes.Add(GossipMode.Flood);
                }

                modes.Add(s.Gossip.Mode);
                foreach (GossipMode m in modes)
                {
                    Scenario scaled = s with { Nodes = n, Events = [], Name = $"{s.Name}-n{n}", Gossip = s.Gossip with { Mode = m } };
                    TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                    TimeSpan pausedBefore = GC.GetTotalPauseDuration();
                    int gen2Before = GC.CollectionCount(2);
                    var wall = Stopwatch.StartNew();
                    double? progressReference = floodRun?.Series[^1].MeanDistanceToOptimum ?? floodReference ?? fedAvgFinal;
                    Action<Hosting.RuntimeRoundSample>? roundDone = !parse.GetValue(progress) ? null
                        : x => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{GossipModes.Name(m)} n={n} round {x.Round}/{scaled.Rounds}: mean distance {x.MeanDistanceToOptimum:G7}{(progressReference is { } pr ? $" ({x.MeanDistanceToOptimum / pr:F4} x the reference {pr:G7})" : "")}"));
                    // The bench reads the per-round means and the per-node totals only, not a row per node and round.
                    Hosting.RuntimeMeshResult result = Hosting.RuntimeMesh.Run(scaled, roundDone: roundDone, perNodeRecords: false);
                    wall.Stop();
                    // Allocation and GC pauses: the allocated bytes do not depend on the machine's load (same seed, same
                    // work), so they compare builds on a busy machine where the clock cannot; the pauses show the GC's
                    // share of the wall time.
                    double allocatedKbPerNodeRound = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / ((double)n * scaled.Rounds);
                    double gcPause = (GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds;
                    int gen2 = GC.CollectionCount(2) - gen2Before;
                    // CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
                    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                    double perNodeRound = wall.Elapsed.TotalMicroseconds / ((double)n * scaled.Rounds);
                    double cpuPerNodeRound = cpu * 1e6 / ((double)n * scaled.Rounds);
                    double distance = result.Series[^1].MeanDistanceToOptimum;
                    // Real wire bytes (frames with header and AEAD tag, handshakes included) sent + received per node
                    // per round, over the whole run.
                    double bytesPerNodeRound = result.PerNode.Sum(x => (double)(x.BytesIn + x.BytesOut)) / ((double)n * scaled.Rounds);
                    // Deltas each node verified (signature + every chunk) and sessions opened, per node-round: the
                    // CPU-heavy work and the churn that drives push on connect (SPEC.md §9.9).
                    double verifiedPerNodeRound = result.PerNode.Sum(x => (double)x.DeltasReceived) / ((double)n * scaled.Rounds);
                    double sessionsPerNodeRound = 2.0 * result.ConnectionsOpened / ((double)n * scaled.Rounds); // both ends
                    if (m == GossipMode.Flood)
                    {
                        floodRun = result;
                    }

                    // Consensus as issue 16 defines it: the first round whose mean distance to the optimum is within
                    // 1 % of flood's final one (flood is the reference: every node merges every origin).
                    double? reference = floodRun?.Series[^1].MeanDistanceToOptimum ?? floodReference;
                    int? toConsensus = reference is not { } target ? null
                        : result.Series.FirstOrDefault(x => x.MeanDistanceToOptimum <= 1.01 * target)?.Round;
                    int? toFedAvg = fedAvgFinal is not { } fa ? null
                        : result.Series.FirstOrDefault(x => x.MeanDistanceToOptimum <= 1.01 * fa)?.Round;
                    rows.Add(new { mode = GossipModes.Name(m), nodes = n, rounds = scaled.Rounds, encoding = WireEncodings.Name(s.Gossip.Encoding), fanout = s.Gossip.Fanout, simulated_crypto = s.SimulatedCrypto, wall_s = wall.Elapsed.TotalSeconds, cpu_s = cpu, us_per_node_round = perNodeRound, cpu_us_per_node_round = cpuPerNodeRound, bytes_per_node_round = bytesPerNodeRound, verified_per_node_round = verifiedPerNodeRound, sessions_per_node_round = sessionsPerNodeRound, final_mean_distance_to_optimum = distance, flood_final = reference, rounds_to_consensus = toConsensus, fedavg_final = fedAvgFinal, rounds_to_fedavg = toFedAvg, deltas_verified = result.PerNode.Sum(x => x.DeltasReceived), deltas_rejected = result.PerNode.Sum(x => x.DeltasRejected), allocated_kb_per_node_round = allocatedKbPerNodeRound, gc_pause_s = gcPause, gen2_collections = gen2 });
                    if (!asJson)
                    {
                        string consensus = reference is null ? "-" : toConsensus?.ToString(CultureInfo.InvariantCulture) ?? $"> {scaled.Rounds}";
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{GossipModes.Name(m),10} {n,6} {scaled.Rounds,6} {wall.Elapsed.TotalSeconds,8:F2} {cpu,8:F2} {perNodeRound,11:F0} {cpuPerNodeRound,10:F0} {bytesPerNodeRound,12:F0} {verifiedPerNodeRound,9:F2} {sessionsPerNodeRound,12:F2} {distance,12:G4} {consensus,21} {allocatedKbPerNodeRound,12:F1} {gcPause,10:F2} {gen2,8}"));
                    }
                }
            }

            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { scenario = s.Name, results = rows }, Json));
            }

            return 0;
        });
        return command;
    }

    /// <summary><c>netsim bench dissemination</c>: one release of node 0 followed through a running real-runtime mesh
    /// for each N and mode (<see cref="RuntimeMesh.RunDissemination"/>).</summary>
    private static Command Dissemination()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario whose N and gossip mode are varied (its events are ignored).", DefaultValueFactory = _ => "netsim/scenarios/scale-1000.toml" };
        var nodes = new Option<string>("--nodes") { Description = "Comma-separated node counts.", DefaultValueFactory = _ => "100,300,1000" };
        var modes = new Option<string>("--modes") { Description = "Comma-separated gossip modes (flood, neighbours).", DefaultValueFactory = _ => "flood,neighbours" };
        // 15 rounds: neighbours mode needed ≤ 8 periods at N = 1,000 on the random 8-regular graph (README); a run
        // that ends first reports how many nodes it reached instead of a time.
        var rounds = new Option<int>("--rounds") { Description = "Rounds each run lasts.", DefaultValueFactory = _ => 15 };
        // Round 3: the start's connections are up (each new session is offered the node's newest state, which in a
        // mesh still forming hands the release to every new peer directly, not by gossip).
        var from = new Option<int>("--release-round") { Description = "Follow node 0's release of this round.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("dissemination", "One node's release through a running mesh of real node runtimes: periods and virtual time until every node holds it, hops, wire bytes per node-round, per mode.") { scenario, nodes, modes, rounds, from, json };
        command.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(scenario)!, out Scenario? s) || !TryParseCounts(parse.GetValue(nodes), out int[] counts))
            {
                return 2;
            }

            int r = parse.GetValue(rounds);
            int release = parse.GetValue(from);
            if (r is < 1 or > ScenarioLoader.MaxRounds || release < 1 || release > r)
            {
                Console.Error.WriteLine($"netsim bench dissemination: --rounds must be 1..{ScenarioLoader.MaxRounds} and --release-round 1..--rounds, got {r} and {release}");
                return 2;
            }

            GossipMode[] list;
            try
            {
                list = [.. parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(GossipModes.Parse)];
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"netsim bench dissemination: --modes: {ex.Message}");
                return 2;
            }

            bool asJson = parse.GetValue(json);
            var rows = new List<DisseminationResult>();
            if (!asJson)
            {
                Console.WriteLine($"real runtime (handshake + AEAD), {WireEncodings.Name(s.Gossip.Encoding)}, fanout {s.Gossip.Fanout}, {s.Period.TotalSeconds:0.#} s periods, node 0's release of round {release}");
                Console.WriteLine($"{"mode",10} {"nodes",6} {"reached",7} {"s to 99%",9} {"s to all",9} {"periods",7} {"max hops",8} {"B/node-round",12}");
            }

            foreach (int n in counts)
            {
                foreach (GossipMode m in list)
                {
                    Scenario run = s with { Nodes = n, Rounds = r, Events = [], Name = $"{s.Name}-n{n}", Gossip = s.Gossip with { Mode = m } };
                    DisseminationResult result = RuntimeMesh.RunDissemination(run, release);
                    rows.Add(result);
                    if (!asJson)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{result.Mode,10} {n,6} {result.Reached,7} {Seconds(result.SecondsTo99),9} {Seconds(result.SecondsToAll),9} {result.RoundsToAll?.ToString(CultureInfo.InvariantCulture) ?? $"> {r}",7} {result.MaxHops,8} {result.BytesPerNodeRound,12:F0}"));
                    }
                }
            }

            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { scenario = s.Name, results = rows }, Json));
            }

            return 0;
        });
        return command;

        static string Seconds(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
    }

    private static bool TryLoad(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Scenario? scenario)
    {
        try
        {
            scenario = ScenarioLoader.Load(path);
            return true;
        }
        catch (ScenarioException ex)
        {
            Console.Error.WriteLine(ex.Message);
            scenario = null;
            return false;
        }
    }

    private static bool TryParseCounts(string? text, out int[] counts)
    {
        counts = [];
        var list = new List<int>();
        foreach (string part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 2 || n > MaxBenchNodes)
            {
                Console.Error.WriteLine($"netsim bench: --nodes: \"{part}\" is not a node count in 2..{MaxBenchNodes}");
                return false;
            }

            list.Add(n);
        }

        counts = [.. list];
        return counts.Length > 0;
    }
}
