using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Attacks;

namespace FedMesh.Node.Merge.Bench;

/// <summary>The <c>fedmesh-bench merge</c> and <c>fedmesh-bench robustness</c> commands.</summary>
public static class MergeBenchCommands
{
    /// <summary>Largest d accepted: 2^28 floats = 1 GiB per delta, already beyond any adapter we exchange.</summary>
    private const int MaxLength = 1 << 28;

    /// <summary>Largest k accepted: 256 neighbours is far beyond any gossip fan-in.</summary>
    private const int MaxInputs = 256;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Merge()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var ks = new Option<string>("--k") { Description = "Comma-separated input counts k.", DefaultValueFactory = _ => "8,16,32" };
        var length = new Option<int>("--d") { Description = "Floats per delta.", DefaultValueFactory = _ => MergeBenchOptions.Default.Length };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per figure (median reported).", DefaultValueFactory = _ => MergeBenchOptions.Default.Repeats };
        var command = new Command("merge", "Throughput of each aggregation rule vs memcpy of the same bytes.") { json, ks, length, repeats };
        command.SetAction(parse =>
        {
            if (!TryParseKs(parse.GetValue(ks), out int[] kList, out string error))
            {
                Console.Error.WriteLine($"fedmesh-bench merge: --k: {error}");
                return 2;
            }

            int d = parse.GetValue(length);
            int r = parse.GetValue(repeats);
            if (d < 1 || d > MaxLength || r < 1 || r > 100)
            {
                Console.Error.WriteLine($"fedmesh-bench merge: --d must be 1..{MaxLength} and --repeats 1..100, got {d} and {r}");
                return 2;
            }

            bool asJson = parse.GetValue(json);
            var options = MergeBenchOptions.Default with { Ks = kList, Length = d, Repeats = r };
            (IReadOnlyList<MergeBenchResult> rules, IReadOnlyList<MergeBenchResult> memcpy) =
                MergeBenchmark.Run(options, TimeProvider.System, asJson ? null : Console.Error.WriteLine);
            if (asJson)
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(
                    new
                    {
                        results = rules.Select(x => new { rule = x.Rule, k = x.K, d = x.D, gb_s = x.GbPerSecond, ratio_to_memcpy = x.RatioToMemcpy, median_s = x.MedianSeconds }),
                        memcpy = memcpy.Select(x => new { k = x.K, d = x.D, gb_s = x.GbPerSecond, median_s = x.MedianSeconds }),
                        cores = options.MaxDegreeOfParallelism,
                    },
                    Json));
                return 0;
            }

            Console.WriteLine($"{"rule",-18} {"k",4} {"d",9} {"GB/s",8} {"x memcpy",9} {"median ms",10}");
            foreach (MergeBenchResult x in memcpy.Concat(rules).OrderBy(x => x.K))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{x.Rule,-18} {x.K,4} {x.D,9} {x.GbPerSecond,8:F2} {x.RatioToMemcpy,9:F2} {x.MedianSeconds * 1e3,10:F1}"));
            }

            return 0;
        });
        return command;
    }

    public static Command Robustness()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("robustness", "Relative error vs the honest mean for each rule under each attack (k=16, f=3).") { json };
        command.SetAction(parse =>
        {
            RobustnessScenario scenario = RobustnessScenario.Default;
            var attacks = new List<AttackKind?> { null };
            attacks.AddRange(AttackKindNames.All.Select(a => (AttackKind?)a));
            var rows = AggregationRuleNames.All
                .SelectMany(rule => attacks.Select(attack => (Rule: rule, Attack: attack, Error: scenario.RelativeError(rule, attack))))
                .ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(
                    new
                    {
                        k = scenario.Inputs,
                        f = scenario.Byzantine,
                        d = scenario.Length,
                        results = rows.Select(x => new { rule = x.Rule.ToName(), attack = x.Attack?.ToName() ?? "none", relative_error = x.Error }),
                    },
                    Json));
                return 0;
            }

            Console.WriteLine($"relative error ‖aggregate − honest mean‖ / ‖honest mean‖, k={scenario.Inputs}, f={scenario.Byzantine}, d={scenario.Length}");
            Console.WriteLine($"{"rule",-18}" + string.Concat(attacks.Select(a => $"{a?.ToName() ?? "none",15}")));
            foreach (AggregationRule rule in AggregationRuleNames.All)
            {
                Console.WriteLine($"{rule.ToName(),-18}" + string.Concat(rows.Where(x => x.Rule == rule).Select(x => x.Error.ToString("F3", CultureInfo.InvariantCulture).PadLeft(15))));
            }

            return 0;
        });
        return command;
    }

    /// <summary>Parses "8,16,32": each k in 1..256; the error names the bad item.</summary>
    public static bool TryParseKs(string? text, out int[] ks, out string error)
    {
        ks = [];
        var list = new List<int>();
        foreach (string part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int k) || k < 1 || k > MaxInputs)
            {
                error = $"'{part}' is not an integer in 1..{MaxInputs}";
                return false;
            }

            list.Add(k);
        }

        if (list.Count == 0)
        {
            error = "no k given (e.g. --k 8,16,32)";
            return false;
        }

        ks = list.ToArray();
        error = string.Empty;
        return true;
    }
}
