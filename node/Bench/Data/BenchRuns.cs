using System.CommandLine;

namespace FedMesh.Node.Data.Cli;

/// <summary>Options and timing shared by the data area's `fedmesh bench` commands.</summary>
internal static class BenchRuns
{
    public static Option<int> RepeatOption() => new("--repeat")
    {
        Description = "Runs per measurement; the best is reported (the first includes JIT warm-up and a cold page cache).",
        DefaultValueFactory = _ => 3,
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text." };

    /// <summary>The run count, or an error on stderr and false when it is below 1.</summary>
    public static bool TryGetRuns(ParseResult parse, Option<int> repeat, out int runs)
    {
        runs = parse.GetValue(repeat);
        if (runs >= 1)
        {
            return true;
        }

        Console.Error.WriteLine($"--repeat must be at least 1, got {runs}");
        return false;
    }

    /// <summary>Best (smallest) wall time of <paramref name="runs"/> calls of <paramref name="action"/>, in seconds.</summary>
    public static double Best(int runs, TimeProvider clock, Action action)
    {
        double best = double.MaxValue;
        for (int run = 0; run < runs; run++)
        {
            long start = clock.GetTimestamp();
            action();
            best = Math.Min(best, clock.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }
}
