using System.Text.Json;

namespace FedMesh.NetSim.Tests.Hosting;

/// <summary>
/// byzantine-30 in neighbours mode (the daemon's default) on the real runtime: a node merges the few states pushed to
/// it, and in some rounds more of them come from attackers than from honest peers. Under the scaling attack at seed 5
/// a rule that picks a point among its inputs lands among the attackers and the node stays captured (geometric median
/// alone, without reputation: one honest node ends at distance 3.75 from the optimum; with reputation it lost two, at
/// 55–57, until issue 16's fix, below). Centered clipping around the node's own state (the shipped file's rule), with
/// reputation, bounds the attackers' pull per round and loses none. At seed 9 it lost one (issue 16) while reputation
/// scored merges whose inputs were mostly attackers' far states.
/// </summary>
public class ByzantineNeighboursTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "scenarios", "byzantine-30.toml");

    /// <summary>The seed at which geometric median loses honest nodes to the scaling attack (measured over seeds 1–5).</summary>
    private const string CaptureSeed = "5";

    [Fact]
    public Task Centered_clipping_keeps_every_honest_node_under_the_scaling_attack_that_captures_geometric_median() =>
        NetsimProcess.InTempDirectoryAsync("netsim-byzantine-", async dir =>
        {
            string scenario = await WithAttackAsync(dir, "scaling");
            JsonElement clipped = await RunAsync(scenario, Path.Combine(dir, "cc"), CaptureSeed);
            // Without reputation: since merges of mostly far states record no distance scores (issue 16), geometric
            // median with reputation loses no honest node at seeds 1–10 either (scaling and sign flip, largest 0.044).
            JsonElement median = await RunAsync(scenario, Path.Combine(dir, "gm"), CaptureSeed, "--rule", "geometric_median", "--no-reputation");

            // The control: the attack at this seed does capture honest nodes under geometric median alone. If it stops
            // doing so (a change to the runtime or the attack), this test no longer tests a capturing attack: pick
            // another seed where it does (tests/bench/netsim-modes.sh with SEEDS).
            double medianMax = median.GetProperty("final_max_distance_to_optimum").GetDouble();
            Assert.True(medianMax > 1.0, $"geometric median was not captured at seed {CaptureSeed}: max distance {medianMax}");

            // Every honest node of the clipped run ends near the optimum: measured 0.033 (mean 0.027).
            double clippedMax = clipped.GetProperty("final_max_distance_to_optimum").GetDouble();
            Assert.True(clippedMax < 0.1, $"an honest node ended at distance {clippedMax} under centered clipping");
        });

    /// <summary>
    /// Issue 16, seed 9 (attackers 2 3 11 16 17 19): node 8's merges were mostly attackers' states, pulled in by the
    /// distance bound; scored by distance to aggregates those states had set, its five honest neighbours fell below the
    /// ignore threshold while the attackers reached weight 1, and it was captured (final distance 38.3 under scaling,
    /// 6.40 under sign flip; the others 0.02–0.04). Such rounds now record no distance scores
    /// (<see cref="FedMesh.Node.Mesh.ReputationEvidence"/>): measured 0.03 for both (netsim/scenarios/README.md, "Seed 9").
    /// </summary>
    [Theory]
    [InlineData("scaling")]
    [InlineData("sign_flip")]
    public Task Centered_clipping_keeps_every_honest_node_at_the_seed_where_reputation_was_inverted(string attack) =>
        NetsimProcess.InTempDirectoryAsync("netsim-byzantine-", async dir =>
        {
            string scenario = await WithAttackAsync(dir, attack);
            JsonElement clipped = await RunAsync(scenario, Path.Combine(dir, "cc"), "9");

            double clippedMax = clipped.GetProperty("final_max_distance_to_optimum").GetDouble();
            Assert.True(clippedMax < 0.1, $"an honest node ended at distance {clippedMax} under {attack} at seed 9");
        });

    /// <summary>
    /// Seed 18 (attackers 10 11 14 15 18 19): node 9 dialled its seeds 10–19 and kept those eight sessions (six
    /// attackers) for all 40 rounds while its Cyclon view mixed, because no session was ever quiet enough or out of the
    /// view long enough to be closed; it merged the six attackers every round and was captured (main: final distance
    /// 8.37 under sign flip; seed 11: 9.18). While a node ignores a peer it now replaces one out-of-view session per
    /// shuffle period with a view peer (MembershipService.Rotate), and ignored peers are scored again
    /// (<c>ReputationOptions.ObserveIgnored</c>). Measured with both: 0.031 (seed 18), 0.031 (seed 11).
    /// </summary>
    [Theory]
    [InlineData("18")]
    [InlineData("11")]
    public Task An_honest_node_whose_first_neighbours_were_mostly_attackers_is_not_captured(string seed) =>
        NetsimProcess.InTempDirectoryAsync("netsim-byzantine-", async dir =>
        {
            string scenario = await WithAttackAsync(dir, "sign_flip");
            JsonElement clipped = await RunAsync(scenario, Path.Combine(dir, "cc"), seed);

            double clippedMax = clipped.GetProperty("final_max_distance_to_optimum").GetDouble();
            Assert.True(clippedMax < 0.1, $"an honest node ended at distance {clippedMax} under sign_flip at seed {seed}");
        });

    /// <summary>
    /// Gaussian noise, seed 18: node 9's first sessions were six attackers and two honest peers. The attackers' noisy
    /// states set the merge's median distance and its tolerance, so reputation scored nobody down and node 9 ignored
    /// nobody until round 30; sessions rotated only while a peer was ignored, so they did not, and it was captured from
    /// round 5 (main aa4950a: final distance 5.98; the other honest nodes below 0.09). Its rounds 2–6 merged mostly
    /// states beyond its distance bound (rounds reputation leaves unscored), which now count as evidence of attack for
    /// <c>ReputationOptions.UnscoredMemoryRounds</c> merges, and the membership rotates its sessions: measured 0.031.
    /// </summary>
    [Fact]
    public Task An_honest_node_that_hears_mostly_noise_and_ignores_nobody_is_not_captured() =>
        NetsimProcess.InTempDirectoryAsync("netsim-byzantine-", async dir =>
        {
            string scenario = await WithAttackAsync(dir, "gaussian_noise");
            JsonElement clipped = await RunAsync(scenario, Path.Combine(dir, "cc"), "18");

            double clippedMax = clipped.GetProperty("final_max_distance_to_optimum").GetDouble();
            Assert.True(clippedMax < 0.1, $"an honest node ended at distance {clippedMax} under gaussian_noise at seed 18");
        });

    /// <summary>
    /// ALIE's colluders are near-copies with correlated deviation histories: with copy and collusion evidence they share
    /// merge weight and honest pushes go past them. Seed 3, mean distance over rounds 21–40 (session 21): 0.02074 with
    /// the evidence, 0.02443 without (main's digits), so ≤ 0.92 × leaves room for a small drift and fails without it.
    /// </summary>
    [Fact]
    public Task Copy_evidence_brings_alie_closer_to_the_optimum() =>
        NetsimProcess.InTempDirectoryAsync("netsim-byzantine-", async dir =>
        {
            string scenario = await WithAttackAsync(dir, "alie");
            await RunAsync(scenario, Path.Combine(dir, "on"), "3");
            await RunAsync(scenario, Path.Combine(dir, "off"), "3", "--no-copy-evidence");

            double on = Plateau(Path.Combine(dir, "on", "rounds.csv"));
            double off = Plateau(Path.Combine(dir, "off", "rounds.csv"));
            Assert.True(on <= 0.92 * off, $"ALIE at seed 3, rounds 21-40: {on} with copy evidence, {off} without");
        });

    /// <summary>Mean distance to the optimum over rounds 21–40 (byzantine-30's yardstick) from a run's rounds.csv.</summary>
    private static double Plateau(string roundsCsv)
    {
        string[] lines = File.ReadAllLines(roundsCsv);
        string[] header = lines[0].Split(',');
        int round = Array.IndexOf(header, "round"), distance = Array.IndexOf(header, "mean_distance_to_optimum");
        return lines.Skip(1).Select(l => l.Split(','))
            .Where(f => int.Parse(f[round], System.Globalization.CultureInfo.InvariantCulture) is >= 21 and <= 40)
            .Average(f => double.Parse(f[distance], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The shipped byzantine-30 scenario (sign flip) with <paramref name="attack"/> instead, written to <paramref name="dir"/>.</summary>
    private static async Task<string> WithAttackAsync(string dir, string attack)
    {
        string scenario = Path.Combine(dir, $"byz-{attack}.toml");
        string shipped = await File.ReadAllTextAsync(Shipped);
        Assert.Contains("attack = \"sign_flip\"", shipped, StringComparison.Ordinal);
        await File.WriteAllTextAsync(scenario, shipped.Replace("attack = \"sign_flip\"", $"attack = \"{attack}\"", StringComparison.Ordinal));
        return scenario;
    }

    private static async Task<JsonElement> RunAsync(string scenario, string outDir, string seed, params string[] extra)
    {
        string[] args = ["run", scenario, "--mode", "neighbours", "--seed", seed, "--json", "--no-plots", "--out", outDir, .. extra];
        return JsonDocument.Parse(await NetsimProcess.RunAsync(null, args)).RootElement;
    }
}
