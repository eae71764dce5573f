using System.Globalization;
using System.Text.Json;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>
/// The real-runtime benches' behaviour (not their speed): <c>netsim bench dissemination</c> follows one release
/// through flood and neighbours meshes deterministically, and the scenario's heartbeat reaches the runtimes. Each run
/// is its own netsim process (the run restricts its thread pool to one thread).
/// </summary>
public class RuntimeBenchTests
{
    private const string Scenario = """
        name = "bench-behaviour"
        nodes = 12
        rounds = 4
        period_s = 10.0
        seed = 11

        [topology]
        kind = "random_regular"
        degree = 4

        [gossip]
        mode = "neighbours"
        fanout = 2

        [learner]
        dimension = 16
        local_steps = 3
        train_samples = 64
        test_samples = 32

        [merge]
        rule = "mean"
        validation_gate = false
        """;

    [Fact]
    public async Task Dissemination_reaches_every_node_flood_within_its_period_neighbours_by_merges_and_replays_identically()
    {
        string dir = Directory.CreateTempSubdirectory("netsim-dissemination-").FullName;
        try
        {
            string scenario = Path.Combine(dir, "s.toml");
            await File.WriteAllTextAsync(scenario, Scenario);
            string[] args = ["bench", "dissemination", "--scenario", scenario, "--nodes", "40", "--rounds", "10", "--json"];

            string first = await NetsimProcess.RunAsync(null, args);
            string second = await NetsimProcess.RunAsync(null, args);

            Assert.Equal(first, second);
            JsonElement[] rows = [.. JsonDocument.Parse(first).RootElement.GetProperty("results").EnumerateArray()];
            JsonElement flood = rows.Single(r => r.GetProperty("mode").GetString() == "flood");
            JsonElement neighbours = rows.Single(r => r.GetProperty("mode").GetString() == "neighbours");
            foreach (JsonElement row in rows)
            {
                Assert.Equal(40, row.GetProperty("reached").GetInt32());
                Assert.True(row.GetProperty("seconds_to99").GetDouble() <= row.GetProperty("seconds_to_all").GetDouble());
            }

            // Flood relays the delta itself: every node holds it within the release's own period.
            Assert.Equal(1, flood.GetProperty("rounds_to_all").GetInt32());
            // Neighbours mode relays nothing: beyond the origin's fanout the release travels in merged states, one
            // round per hop, so it takes longer, but each node-round moves fewer bytes than flood's relaying.
            Assert.True(neighbours.GetProperty("seconds_to_all").GetDouble() > flood.GetProperty("seconds_to_all").GetDouble(), first);
            Assert.True(neighbours.GetProperty("max_hops").GetInt32() >= 2, first);
            Assert.True(neighbours.GetProperty("bytes_per_node_round").GetDouble() < flood.GetProperty("bytes_per_node_round").GetDouble(), first);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_longer_scenario_heartbeat_sends_fewer_frames_and_changes_nothing_else_about_the_learning()
    {
        string dir = Directory.CreateTempSubdirectory("netsim-heartbeat-").FullName;
        try
        {
            string daily = Path.Combine(dir, "one.toml");
            string slow = Path.Combine(dir, "ten.toml");
            await File.WriteAllTextAsync(daily, Scenario);
            await File.WriteAllTextAsync(slow, Scenario.Replace("fanout = 2", "fanout = 2\nheartbeat_s = 10", StringComparison.Ordinal));

            long[] oneSecond = await BytesOutAsync(daily, Path.Combine(dir, "one.csv"));
            long[] tenSeconds = await BytesOutAsync(slow, Path.Combine(dir, "ten.csv"));

            // Pings (the dialling side's, once per tick) are frames of their own on otherwise quiet sessions.
            Assert.True(tenSeconds.Sum() < oneSecond.Sum(), $"heartbeat 10 s sent {tenSeconds.Sum()} B, 1 s sent {oneSecond.Sum()} B");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Each node's bytes_out column from <c>netsim bench runtime --csv</c>.</summary>
    private static async Task<long[]> BytesOutAsync(string scenario, string csv)
    {
        await NetsimProcess.RunAsync(null, "bench", "runtime", "--scenario", scenario, "--csv", csv);
        string[] lines = await File.ReadAllLinesAsync(csv);
        int column = Array.IndexOf(lines[0].Split(','), "bytes_out");
        return [.. lines.Skip(1).Select(l => long.Parse(l.Split(',')[column], CultureInfo.InvariantCulture))];
    }
}
