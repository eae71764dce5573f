using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Containers;
using Xunit.Abstractions;

namespace FedMesh.Containers.Tests;

/// <summary>
/// Issue 17: the node image run as a consortium would run it. Four containers on a user-defined network converge;
/// a partition (docker network disconnect) heals on connect; SIGKILL and a restart on the same volume lose nothing;
/// a key not on a closed mesh's allowlist is refused; a bad configuration exits with the error in the log.
/// Skipped, saying why, when no Docker daemon is prepared (tests/run.sh as root prepares one).
/// </summary>
[Trait("Category", "Containers")]
[Collection(Name)]
public sealed partial class ContainerMeshTests(ContainerLab lab, ITestOutputHelper output) : IClassFixture<ContainerLab>
{
    public const string Name = "containers";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private static double Get(Dictionary<string, double> m, string name) => m.TryGetValue(name, out double v) ? v : double.NaN;

    [SkippableFact]
    public async Task Four_containers_converge_every_node_beats_the_base_model()
    {
        Skip.If(lab.SkipReason is not null, lab.SkipReason);
        var clock = Stopwatch.StartNew();
        foreach (MeshNode node in lab.Mesh)
        {
            // Five rounds with merged states, and the held-out bpc below the base model's. Read with `fedmesh status`
            // (docker exec): a node the partition test reconnected has lost its published metrics port.
            JsonElement status = await node.WaitForStatusAsync(
                s => s.GetProperty("round").GetInt64() >= 5 && s.GetProperty("deltas_merged").GetInt64() >= 1
                    && s.GetProperty("last_held_out_bpc").ValueKind == JsonValueKind.Number
                    && s.GetProperty("last_held_out_bpc").GetDouble() < s.GetProperty("base_held_out_bpc").GetDouble(),
                Patience,
                "rounds with merges and a held-out bpc below the base");
            output.WriteLine($"{node.Name}: round {status.GetProperty("round")}, peers {status.GetProperty("peers").GetArrayLength()}, merged {status.GetProperty("deltas_merged")}, held-out bpc {status.GetProperty("last_held_out_bpc").GetDouble():F4} < base {status.GetProperty("base_held_out_bpc").GetDouble():F4}");
        }

        output.WriteLine(string.Join('\n', lab.Measurements));
        output.WriteLine($"converged in {clock.Elapsed.TotalSeconds:F0} s after the mesh was ready");
    }

    [SkippableFact]
    public async Task A_node_cut_off_the_network_gets_nothing_while_cut_and_exchanges_again_when_connected()
    {
        Skip.If(lab.SkipReason is not null, lab.SkipReason);
        MeshNode n0 = lab.Mesh[0];
        MeshNode n3 = lab.Mesh[3];
        await n3.WaitForStatusAsync(s => s.GetProperty("peers").GetArrayLength() >= 1, Patience, "a peer before the partition");

        DockerHost.Run("network", "disconnect", lab.NetworkName, n3.Container.Id);
        bool connected = false;
        try
        {
            // n3's status comes through `docker exec`: with the network gone, so is its published metrics port. Its
            // sessions are not closed at once (silent peers are dropped after the 90 s idle timeout), so the partition
            // shows as nothing arriving: n3 receives no delta while the others go on releasing one per round.
            long cutAt = (await n3.WaitForStatusAsync(_ => true, Patience, "a status")).GetProperty("deltas_received").GetInt64();
            double n0RoundsAtCut = Get(await n0.WaitForAsync(_ => true, Patience, "metrics"), "fedmesh_rounds_total");
            await n0.WaitForAsync(m => Get(m, "fedmesh_rounds_total") >= n0RoundsAtCut + 3, Patience, "three rounds of n0 during the partition");
            long whileCut = (await n3.WaitForStatusAsync(_ => true, Patience, "a status")).GetProperty("deltas_received").GetInt64();
            Assert.Equal(cutAt, whileCut);

            DockerHost.Run("network", "connect", "--alias", n3.Name, lab.NetworkName, n3.Container.Id);
            connected = true;
            var clock = Stopwatch.StartNew();
            await n3.WaitForStatusAsync(
                s => s.GetProperty("deltas_received").GetInt64() > whileCut && s.GetProperty("peers").GetArrayLength() >= 1, Patience, "a peer and new deltas after reconnecting");
            output.WriteLine($"partition: n3 received nothing during 3 rounds of n0; healed (deltas flowing again) {clock.Elapsed.TotalSeconds:F0} s after connect");
        }
        finally
        {
            // A failure above must not leave n3 cut off for the other tests.
            if (!connected)
            {
                DockerHost.TryRun(TimeSpan.FromMinutes(1), "network", "connect", "--alias", n3.Name, lab.NetworkName, n3.Container.Id);
            }
        }
    }

    [SkippableFact]
    public async Task A_killed_node_restarted_on_its_volume_loses_nothing()
    {
        Skip.If(lab.SkipReason is not null, lab.SkipReason);
        // n1 runs with record-level DP, so its ledger grows every round.
        MeshNode n1 = lab.Mesh[1];
        Dictionary<string, double> before = await n1.WaitForAsync(
            m => Get(m, "fedmesh_rounds_total") >= 3 && Get(m, "fedmesh_privacy_epsilon_spent") > 0, Patience, "three rounds with epsilon spent");

        DockerHost.Run("kill", "--signal", "KILL", n1.Container.Id);
        // Read just before the kill; the ledger can only have grown in between, which keeps "never lower" meaningful.
        double epsilonBefore = Get(before, "fedmesh_privacy_epsilon_spent");
        Assert.Equal(137, await n1.Container.GetExitCodeAsync());

        var clock = Stopwatch.StartNew();
        using (var timeout = new CancellationTokenSource(ContainerLab.StartTimeout))
        {
            await n1.Container.StartAsync(timeout.Token);
        }

        output.WriteLine($"restarted and ready in {clock.Elapsed.TotalSeconds:F0} s");
        Dictionary<string, double> after = await n1.WaitForAsync(m => Get(m, "fedmesh_privacy_epsilon_spent") > 0, Patience, "the ledger's epsilon after the restart");
        Assert.True(Get(after, "fedmesh_privacy_epsilon_spent") >= epsilonBefore, $"epsilon went down: {epsilonBefore} before the kill, {Get(after, "fedmesh_privacy_epsilon_spent")} after");

        // The adapter is restored from its checkpoint: the second start resumes at a round ≥ 1.
        string log = await n1.LogsAsync();
        MatchCollection resumed = ResumedAt().Matches(log);
        Assert.True(resumed.Count >= 2, log);
        Assert.True(long.Parse(resumed[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= (long)Get(before, "fedmesh_rounds_total") - 1, log);
        Assert.DoesNotContain("skipped:", log, StringComparison.Ordinal);

        ExecResult audit = await n1.FedmeshAsync("audit", "verify", "--config", "/etc/fedmesh/fedmesh.toml");
        Assert.True(audit.ExitCode == 0, audit.Stdout + audit.Stderr);
        ExecResult privacy = await n1.FedmeshAsync("privacy", "--config", "/etc/fedmesh/fedmesh.toml");
        Assert.True(privacy.ExitCode == 0, privacy.Stdout + privacy.Stderr);

        // And it goes on: a new round charges the ledger again.
        await n1.WaitForAsync(m => Get(m, "fedmesh_privacy_epsilon_spent") > Get(after, "fedmesh_privacy_epsilon_spent"), Patience, "a charged round after the restart");
    }

    [SkippableFact]
    public async Task A_key_not_on_a_closed_meshs_allowlist_is_refused()
    {
        Skip.If(lab.SkipReason is not null, lab.SkipReason);
        // The closed node admits one made-up peer only; the intruder seeds it by name.
        using var stranger = FedMesh.Protocol.Identity.NodeIdentity.Create();
        MeshNode closed = await lab.StartAsync("closed", 0, "closed-mesh", null, new Dictionary<string, string>
        {
            ["FEDMESH_PRIVACY__LEVEL"] = "off",
            ["FEDMESH_NETWORK__CLOSED"] = "true",
            ["FEDMESH_NETWORK__ALLOWLIST"] = stranger.PeerId.Value,
        });
        MeshNode intruder = await lab.StartAsync("intruder", 1, "closed-mesh", "closed:7461", new Dictionary<string, string> { ["FEDMESH_PRIVACY__LEVEL"] = "off" });
        string intruderId = await intruder.PeerIdAsync();

        var clock = Stopwatch.StartNew();
        string log = string.Empty;
        while (clock.Elapsed < Patience && !log.Contains($"{intruderId} is not in this closed mesh's allowlist", StringComparison.Ordinal))
        {
            await Task.Delay(1000);
            log = await closed.LogsAsync();
        }

        Assert.Contains($"{intruderId} is not in this closed mesh's allowlist", log, StringComparison.Ordinal);
        // Nothing crossed: the closed node has no peer and the intruder received no delta (it may count a connection
        // for the moment between its side of the handshake finishing and the closed node's refusal).
        // Polled (a scrape can time out on a loaded machine), then read once.
        Assert.Equal(0, Get(await closed.WaitForAsync(_ => true, Patience, "metrics"), "fedmesh_peers"));
        Assert.Equal(0, Get(await intruder.WaitForAsync(_ => true, Patience, "metrics"), "fedmesh_deltas_received_total"));
    }

    [SkippableFact]
    public async Task A_container_with_a_bad_configuration_exits_with_the_error_in_its_log()
    {
        Skip.If(lab.SkipReason is not null, lab.SkipReason);
        MeshNode bad = await lab.StartAsync("badconfig", 2, "mesh", null, new Dictionary<string, string> { ["FEDMESH_GOSSIP__FANOUT"] = "0" }, exitsAtOnce: true);

        // GetExitCodeAsync waits for the container to exit (docker wait); a node that kept running would time out.
        using var timeout = new CancellationTokenSource(Patience);
        Assert.Equal(2, await bad.Container.GetExitCodeAsync(timeout.Token));
        string log = await bad.LogsAsync();
        Assert.Contains("FEDMESH_GOSSIP__FANOUT", log, StringComparison.Ordinal);
        Assert.Contains("gossip.fanout must be between 1 and 64, got 0", log, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"resumed at round (\d+)")]
    private static partial Regex ResumedAt();
}
