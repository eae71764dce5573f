using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Privacy;

namespace FedMesh.Node.Demo;

/// <summary>
/// <c>fedmesh-bench canary [--levels off,record] [--seeds 3] [--copies 100] [--candidates 1000] [--rounds R] [--steps S]
/// [--batch B] [--lr η] [--json]</c>: leakage
/// measured, not only bounded (Carlini et al. 2019, "The Secret Sharer"). Per seed a random canary of
/// <see cref="CanaryExposure"/>'s format is inserted <c>--copies</c> times as records of node 1, the demo's mesh runs
/// in process (<see cref="PrivateMeshSimulation"/>, the demo's defaults), and the canary's exposure is measured under
/// the mesh's final state — the state every other node adopts — against <c>--candidates</c> random texts of its format.
/// </summary>
public static class CanaryBenchCommand
{
    /// <summary>Default copies of the canary: 100 records of node 1's ≈ 3,800 (≈ 0.1 % of its bytes), enough for the
    /// non-private mesh to learn something of it within the demo's schedule.</summary>
    public const int DefaultCopies = 100;

    /// <summary>Default candidates: 1,000, a maximum exposure of log2(1001) ≈ 9.97 bits at a few seconds of scoring.</summary>
    public const int DefaultCandidates = 1000;

    public static Command Create()
    {
        DemoOptions d = PrivateMeshSimulation.DemoDefaults;
        var levels = new Option<string>("--levels") { Description = "Comma-separated privacy levels: off, record, node; prefix ffa: for FFA-LoRA.", DefaultValueFactory = _ => "off,record" };
        var seeds = new Option<int>("--seeds") { Description = "Runs per level (seeds 1..N: canary, candidates, initialisation).", DefaultValueFactory = _ => 3 };
        var copies = new Option<int>("--copies") { Description = "Times the canary is inserted (as records of node 1).", DefaultValueFactory = _ => DefaultCopies };
        var candidates = new Option<int>("--candidates") { Description = "Random candidates of the canary's format it is ranked among.", DefaultValueFactory = _ => DefaultCandidates };
        var epsilon = new Option<double>("--epsilon") { Description = "ε budget per node for the whole run (DP levels).", DefaultValueFactory = _ => d.EpsilonBudget };
        var rounds = new Option<int>("--rounds") { Description = "Rounds.", DefaultValueFactory = _ => d.Rounds };
        var steps = new Option<int>("--steps") { Description = "Local steps per round (the demo's by default; more steps make the non-private mesh memorise more).", DefaultValueFactory = _ => d.LocalSteps };
        var batch = new Option<int>("--batch") { Description = "Expected records per DP-SGD step (windows per step without DP).", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("canary", "Canary exposure (Carlini et al. 2019) under the demo's mesh in process, per privacy level and seed.")
        {
            levels, seeds, copies, candidates, epsilon, rounds, steps, batch, lr, json,
        };
        command.SetAction((ParseResult r) =>
        {
            string[] levelNames = r.GetValue(levels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int seedCount = r.GetValue(seeds), copyCount = r.GetValue(copies), candidateCount = r.GetValue(candidates), roundCount = r.GetValue(rounds);
            double eps = r.GetValue(epsilon);
            int stepCount = r.GetValue(steps), batchSize = r.GetValue(batch);
            double rate = r.GetValue(lr);
            if (levelNames.Length == 0 || levelNames.Any(l => PrivacyLevels.Parse(PrivateMeshBenchCommand.Unprefixed(l)) is null) || seedCount is < 1 or > 100
                || copyCount is < 1 or > 100_000 || candidateCount is < 1 or > 1_000_000 || !(eps > 0) || !double.IsFinite(eps) || roundCount is < 1 or > 10_000
                || stepCount is < 1 or > 10_000 || batchSize is < 1 or > 4096 || !(rate > 0) || !double.IsFinite(rate))
            {
                Console.Error.WriteLine("fedmesh-bench canary: --levels off|record|node[,…], --seeds 1..100, --copies 1..100000, --candidates 1..1000000, --epsilon finite > 0, --rounds 1..10000, --steps 1..10000, --batch 1..4096, --lr finite > 0");
                return 2;
            }

            var runs = new List<(string Level, int Seed, PrivateMeshResult Run)>();
            // Seeds outermost: every level has a run before any has two, so a run cut short still compares them.
            for (int seed = 1; seed <= seedCount; seed++)
            {
                foreach (string level in levelNames)
                {
                    // The canary's digits come from the seed too: each seed is a fresh secret.
                    string secret = CanaryExposure.Format(new Random(CanarySeedBase + seed));
                    PrivateMeshResult run = PrivateMeshSimulation.Run(
                        new PrivateMeshOptions
                        {
                            Demo = d with { EpsilonBudget = eps, Rounds = roundCount, LocalSteps = stepCount, BatchSize = batchSize, LearningRate = rate, FrozenA = PrivateMeshBenchCommand.IsFfa(level) },
                            Level = PrivateMeshBenchCommand.Unprefixed(level),
                            Seed = seed,
                            LocalOnly = false,
                            Canary = new CanarySpec(secret, copyCount, candidateCount, CandidateSeedBase + seed),
                        },
                        Console.Error.WriteLine,
                        CancellationToken.None);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{run.Label} seed {seed}: exposure {run.CanaryExposureBits:F2} of {run.CanaryMaxExposureBits:F2} bits, mesh {run.MeshBpc:F4}, ε {run.NodeEpsilons.DefaultIfEmpty(0).Max():F3}, {run.Seconds:F0} s"));
                    runs.Add((run.Label, seed, run));
                }
            }

            Console.WriteLine(r.GetValue(json) ? ToJson(copyCount, d with { Rounds = roundCount, LocalSteps = stepCount, BatchSize = batchSize, LearningRate = rate }, runs) : ToText(runs));
            return 0;
        });
        return command;
    }

    /// <summary>Seed offsets of the canary's digits and of its candidates, so neither equals the learner's seed.</summary>
    private const int CanarySeedBase = 1_000, CandidateSeedBase = 2_000;

    private static string ToText(IReadOnlyList<(string Level, int Seed, PrivateMeshResult Run)> runs) => string.Join(Environment.NewLine,
        runs.GroupBy(x => x.Level).Select(g =>
        {
            (double m, double sd) = PrivateMeshBenchCommand.MeanSd(g.Select(x => x.Run.CanaryExposureBits).ToArray());
            return string.Create(CultureInfo.InvariantCulture,
                $"{g.Key,-10} exposure {m:F2} ± {sd:F2} bits of {g.First().Run.CanaryMaxExposureBits:F2} ({string.Join(", ", g.Select(x => x.Run.CanaryExposureBits.ToString("F2", CultureInfo.InvariantCulture)))}; {g.Count()} seeds)");
        }));

    private static string ToJson(int copies, DemoOptions demo, IReadOnlyList<(string Level, int Seed, PrivateMeshResult Run)> runs)
    {
        var levels = runs.GroupBy(x => x.Level).Select(g =>
        {
            (double m, double sd) = PrivateMeshBenchCommand.MeanSd(g.Select(x => x.Run.CanaryExposureBits).ToArray());
            return new
            {
                level = g.Key,
                exposure_bits_mean = Math.Round(m, 3),
                exposure_bits_sd = Math.Round(sd, 3),
                max_exposure_bits = Math.Round(g.First().Run.CanaryMaxExposureBits, 3),
                runs = g.Select(x => new
                {
                    seed = x.Seed,
                    exposure_bits = Math.Round(x.Run.CanaryExposureBits, 3),
                    mesh_bpc = Math.Round(x.Run.MeshBpc, 4),
                    node_epsilons = x.Run.NodeEpsilons.Select(e => Math.Round(e, 4)).ToArray(),
                    seconds = Math.Round(x.Run.Seconds, 1),
                }).ToArray(),
            };
        }).ToArray();
        return JsonSerializer.Serialize(new { copies, rounds = demo.Rounds, local_steps = demo.LocalSteps, batch = demo.BatchSize, lr = demo.LearningRate, levels }, new JsonSerializerOptions { WriteIndented = true });
    }
}
