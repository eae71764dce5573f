using System.Diagnostics;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>
/// netsim hosting the real node runtime: N NodeRuntimes (handshake, AEAD, membership, gossip actor, round loop) over
/// in-memory pipes on virtual time. Each run is its own netsim process, because the run restricts the process's
/// thread pool to one thread (the deterministic scheduler) and must not share it with the test host; two processes
/// also have different string-hash seeds, so anything that leaked hash order into the run would show here.
/// </summary>
public class RuntimeMeshTests
{
    private const string Scenario = """
        name = "runtime-determinism"
        nodes = 12
        rounds = 4
        period_s = 10.0
        seed = 7

        [topology]
        kind = "random_regular"
        degree = 4

        [gossip]
        fanout = 2

        [learner]
        dimension = 16
        local_steps = 3
        train_samples = 64
        test_samples = 32

        [merge]
        rule = "mean"
        validation_gate = false

        [[events]]
        round = 2
        kind = "partition"
        groups = { east = [0, 1, 2, 3, 4, 5] }

        [[events]]
        round = 2
        kind = "crash"
        nodes = [7]

        [[events]]
        round = 3
        kind = "heal"

        [[events]]
        round = 3
        kind = "restart"
        nodes = [7]
        """;

    [Fact]
    public async Task The_same_scenario_and_seed_give_byte_identical_results_on_the_real_runtime_through_a_partition_a_crash_and_a_restart()
    {
        string dir = Directory.CreateTempSubdirectory("netsim-runtime-").FullName;
        try
        {
            string scenario = Path.Combine(dir, "s.toml");
            await File.WriteAllTextAsync(scenario, Scenario);
            string first = Path.Combine(dir, "a.csv");
            string second = Path.Combine(dir, "b.csv");

            await RunAsync(scenario, first);
            await RunAsync(scenario, second);

            byte[] a = await File.ReadAllBytesAsync(first);
            Assert.Equal(a, await File.ReadAllBytesAsync(second));
            Assert.Equal(await File.ReadAllBytesAsync(first + ".series"), await File.ReadAllBytesAsync(second + ".series"));
            string[] rows = (await File.ReadAllLinesAsync(first)).Skip(1).ToArray();
            Assert.Equal(12, rows.Length);
            foreach (string[] row in rows.Select(r => r.Split(',')))
            {
                // Node 7 crashed in round 2 and restarted from its checkpoint (round 1) in round 3: 1 + 2 rounds.
                Assert.Equal(row[0] == "7" ? "3" : "4", row[3]);
                Assert.True(long.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture) > 0, $"node {row[0]} merged nothing");
                Assert.True(long.Parse(row[8], System.Globalization.CultureInfo.InvariantCulture) > 0, $"node {row[0]} received no bytes");
                Assert.Equal("0", row[7]); // honest mesh: nothing rejected
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RunAsync(string scenario, string csv)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "netsim.dll"), "bench", "runtime", "--scenario", scenario, "--csv", csv, "--series", csv + ".series" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"netsim bench runtime exited {process.ExitCode}: {await output}{await error}");
    }
}
